"""The public catalog's query parameters (strict: bounded sizes, known values) and response shape."""

from __future__ import annotations

from django.core.validators import RegexValidator
from rest_framework import serializers

from enterprise.currencies import CURRENCIES

MAX_PAGE_SIZE = 100
MAX_PAGE = 1000


class CatalogQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Words to search for.")
    kind = serializers.ChoiceField(choices=["course", "program"], required=False)
    language = serializers.CharField(
        required=False,
        max_length=16,
        validators=[RegexValidator(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", "A language code, e.g. en or pt-BR.")],
    )
    skill = serializers.CharField(required=False, max_length=255, help_text="An exact skill name.")
    currency = serializers.ChoiceField(choices=sorted(CURRENCIES), required=False)
    min_price = serializers.DecimalField(required=False, max_digits=12, decimal_places=3, min_value=0)
    max_price = serializers.DecimalField(required=False, max_digits=12, decimal_places=3, min_value=0)
    page = serializers.IntegerField(required=False, default=1, min_value=1, max_value=MAX_PAGE)
    page_size = serializers.IntegerField(required=False, default=20, min_value=1, max_value=MAX_PAGE_SIZE)

    def validate(self, attrs):
        low, high = attrs.get("min_price"), attrs.get("max_price")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"max_price": "Not below min_price."})
        if (low is not None or high is not None) and "currency" not in attrs:
            raise serializers.ValidationError({"currency": "A price range needs its currency."})
        return attrs


class SessionSerializer(serializers.Serializer):
    title = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    time_zone = serializers.CharField(help_text="The IANA time zone it is announced in.")
    seats = serializers.IntegerField(allow_null=True, help_text="Seats; null: no limit.")
    seats_left = serializers.IntegerField(allow_null=True, help_text="Seats not taken; null: no limit.")
    waitlisted = serializers.IntegerField(help_text="Learners on the waitlist.")


class CatalogItemSerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.CharField(source="content_id")
    title = serializers.CharField()
    description = serializers.CharField()
    skills = serializers.ListField(child=serializers.CharField())
    duration_hours = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    language = serializers.CharField()
    pacing = serializers.CharField()
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)
    price = serializers.SerializerMethodField()
    course_ids = serializers.ListField(child=serializers.CharField())
    image_url = serializers.CharField(help_text="The image under the CDN URL; empty when there is none.")
    buy_url = serializers.CharField(
        help_text="The store's product page (Buy now) once the store has it (Adobe Commerce); empty otherwise."
    )
    instructors = serializers.ListField(child=serializers.CharField(), help_text="Display names.")
    sessions = SessionSerializer(many=True, help_text="Upcoming virtual-classroom sessions, soonest first.")

    def get_price(self, entry) -> dict | None:
        if entry.price_amount is None:
            return None
        return {"amount": format(entry.price_amount.normalize(), "f"), "currency": entry.price_currency}


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    count = serializers.IntegerField()


class FacetsSerializer(serializers.Serializer):
    kind = FacetValueSerializer(many=True)
    language = FacetValueSerializer(many=True)
    skill = FacetValueSerializer(many=True)


class CatalogPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    results = CatalogItemSerializer(many=True)
    facets = FacetsSerializer()
