from django.apps import AppConfig

GETTING_STARTED = """\
Name the web sites that will read the public catalog (their origins, e.g. https://learn.example.com: \
only these get CORS access from a browser), the interface type (native: your site renders our catalog \
pages; headless: your site renders its own from the API) and, if images are served from a CDN, its \
base URL.

Run "Build the public catalog" once (it then runs on its schedule, e.g. every 3 hours), then read \
/training-data/api/v1/<customer slug>/catalog/?q=python&kind=course from the site. The API needs no \
login, is read-only, cached (ETag, Cache-Control) and rate-limited per client; it serves courses and \
programs with skills, duration, language, price, the store's Buy-now link (once an Adobe Commerce \
connection exported the product), instructors and upcoming virtual-classroom sessions with seats left \
and waitlist, and nothing about learners. Each build copies the course images to the configured storage \
(catalog-images/<sha256>.<ext>) and serves them under the CDN base URL."""


class TrainingDataConfig(AppConfig):
    name = "integrated_channels.training_data"
    label = "training_data"
    verbose_name = "Training Data Access connector"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from enterprise.models import EnterpriseCustomer
        from integrated_channels.training_data.models import TrainingDataAccessConfiguration

        for model in (TrainingDataAccessConfiguration, EnterpriseCustomer):
            post_save.connect(_forget_public_state, sender=model, dispatch_uid=f"training_data_state_{model.__name__}")
            post_delete.connect(
                _forget_public_state, sender=model, dispatch_uid=f"training_data_state_d_{model.__name__}"
            )
        from integrated_channels.integrated_channel.registry import Channel, Operation, registry

        registry.register(
            Channel(
                code="TRAINING_DATA",
                name="Training Data Access",
                app_label=self.label,
                configuration_model="training_data.TrainingDataAccessConfiguration",
                operations=(
                    Operation(
                        "catalog_build",
                        "Build the public catalog",
                        "integrated_channels.training_data.operations.build_catalog",
                        "export",
                    ),
                ),
                connector=True,
                description=(
                    "Builds a denormalised, indexed read model of the customer's courses and programs and serves "
                    "it through a public, read-only catalog API with full-text search, filters, facets and paging."
                ),
                getting_started=GETTING_STARTED,
                test_connection="integrated_channels.training_data.operations.test_connection",
            )
        )


def _forget_public_state(sender, instance, **kwargs):
    """A connection or its customer changed: the public catalog's cached state is read again."""
    from django.db import transaction

    from integrated_channels.training_data.services import forget_state

    slug = getattr(instance, "customer", instance).slug
    forget_state(slug)  # now (this transaction's next read), and after the commit (others' reads meanwhile)
    transaction.on_commit(lambda: forget_state(slug))
