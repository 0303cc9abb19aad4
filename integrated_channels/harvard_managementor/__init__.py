"""Harvard ManageMentor: courses from hmm12_metadata.csv and progress from client_hmm12_yyyyMMdd.csv on a file drop."""
