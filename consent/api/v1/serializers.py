from rest_framework import serializers

from consent.models import DataSharingConsent


class ConsentSerializer(serializers.ModelSerializer):
    customer = serializers.UUIDField(source="customer_id", read_only=True)
    state = serializers.SerializerMethodField()

    class Meta:
        model = DataSharingConsent
        fields = ["id", "customer", "user_id", "course_id", "granted", "state", "created", "modified"]
        read_only_fields = fields

    def get_state(self, consent) -> str:
        return {True: "granted", False: "revoked", None: "not_asked"}[consent.granted]


class ConsentAnswerSerializer(serializers.Serializer):
    customer = serializers.UUIDField()
    course_id = serializers.CharField(max_length=255)
    user_id = serializers.IntegerField(
        required=False, min_value=1, help_text="Staff only: whose consent. Defaults to the signed-in user."
    )
