"""The Pearson LearningStudio channel (``LEARNINGSTUDIO``): users and enrollments over SOAP."""
