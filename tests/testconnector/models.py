from django.db import models

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.models import ChannelConfiguration


class EchoConnection(ChannelConfiguration):
    CHANNEL_CODE = "ECHO"

    endpoint = models.CharField(max_length=100, default="memory://echo")
    token = EncryptedTextField(blank=True)

    class Meta:
        app_label = "testconnector"

    def secrets(self) -> list[str]:
        return [self.token] if self.token else []
