from django.apps import AppConfig

GETTING_STARTED = """\
In the Commerce admin, create an integration (System > Extensions > Integrations) with access to \
Catalog > Inventory > Products and Sales > Operations > Orders, activate it, and copy its consumer key, \
consumer secret, access token and access token secret here (or a bearer token when the store allows \
integration tokens as bearer). Give the store's base URL (e.g. https://shop.example.com) and its base \
currency: prices in another currency are reported, not sent.

Set prices on courses and programs (Prices in the admin or /enterprise/api/v1/prices/), then run \
"Export training metadata" (on demand, or on its schedule: the seed says twice a day). Each product's \
SKU is the course id or program UUID, its URL key the SKU in lower case with a short hash (the public \
catalog's Buy-now link is the store's base URL, the URL key and the Product URL Suffix given here), and a \
course's image goes to the product's media gallery (PNG, JPEG or GIF, sent again only when it changed). \
In the store, point the order success page's return link to this platform so buyers come back to learn; \
"Import purchases" then enrolls the buyers and stamps the price and the purchase date on their \
enrollments (learner transcripts and the training report show them). \
It reads the orders 300 per page: a store with Web API input limits on (Stores > Configuration > \
Services > Magento Web API > Web Api Input Limits) must keep their Maximum Page Size at 300, the \
default, or more. A line is refused, reported in the run's errors and never enrolled when its SKU is not \
a priced course or program (unknown_sku), its amount or currency is not the price (amount_mismatch), the \
order has no e-mail address (no_email), the training cannot be enrolled in (enrollment_target), the \
buyer's address cannot be linked (not_linked), the enrollment backend refused the enrollment \
(enrollment_failed), or an id holds control characters (malformed_line). A line the store sends without its \
item_id cannot be recorded: it is a failed row of the run's errors (no_item_id), "order <number> line <n>" \
naming it, and is reported again if its order is read again (decision 0566)."""


class AdobeCommerceConfig(AppConfig):
    name = "integrated_channels.adobe_commerce"
    label = "adobe_commerce"
    verbose_name = "Adobe Commerce connector"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, Operation, registry

        registry.register(
            Channel(
                code="ADOBE_COMMERCE",
                name="Adobe Commerce",
                app_label=self.label,
                configuration_model="adobe_commerce.AdobeCommerceConfiguration",
                operations=(
                    Operation(
                        "commerce_product_export",
                        "Export training metadata",
                        "integrated_channels.adobe_commerce.operations.export_products",
                        "export",
                    ),
                    Operation(
                        "commerce_purchase_import",
                        "Import purchases",
                        "integrated_channels.adobe_commerce.purchases.import_purchases",
                        "import",
                        uses_start_date=True,
                    ),
                ),
                connector=True,
                description=(
                    "Exports priced courses and programs to an Adobe Commerce store as products through its "
                    "asynchronous bulk REST API (OAuth 1.0a integration or bearer token), following each bulk "
                    "operation to its end and reporting products the store refused."
                ),
                getting_started=GETTING_STARTED,
                test_connection="integrated_channels.adobe_commerce.operations.test_connection",
                extra="adobe_commerce",
                extra_modules=("oauthlib",),
            )
        )
