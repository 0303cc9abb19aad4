"""An upload handler that stops an oversized upload before it is read.

Django streams file parts to memory or a temporary file whatever their size, and only then does
a view see the file and its size: a 2 GB upload would be written to disk in full before being
refused. Installed first in ``FILE_UPLOAD_HANDLERS``, this handler refuses, as soon as it knows,
an upload whose request is larger than ``ENTERPRISE["UPLOAD_MAX_BYTES"]`` (plus
``DATA_UPLOAD_MAX_MEMORY_SIZE`` for the form's other fields) — from its Content-Length when the
file part starts, else when its bytes pass the limit — and stops reading the request. The fields
before the file (the CSRF token first) are kept; the view finds the refusal with
``refused_upload(request)`` and says so.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from enterprise.app_settings import enterprise_settings
from enterprise.exceptions import UploadTooLarge

ATTRIBUTE = "enterprise_upload_refused"


def human_size(size: int) -> str:
    """A size in bytes as a person reads it: bytes, KB or MB (the limits' messages)."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def refused_upload(request) -> UploadTooLarge | None:
    """The refusal of this request's upload by ``UploadLimitHandler``, or ``None``."""
    return getattr(request, ATTRIBUTE, None)


class UploadLimitHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = enterprise_settings.UPLOAD_MAX_BYTES
        self.request_length = content_length or 0

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        others = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        if self.limit is not None and self.request_length > self.limit + others:
            self._refuse(self.request_length)

    def receive_data_chunk(self, raw_data, start):
        if self.limit is not None and start + len(raw_data) > self.limit:
            self._refuse(start + len(raw_data))
        return raw_data

    def file_complete(self, file_size):
        return None

    def _refuse(self, size: int):
        exceeds = "at least " if size != self.request_length else ""
        refusal = UploadTooLarge(
            f"The upload is larger than the limit of {human_size(self.limit)} ({exceeds}{human_size(size)}): "
            "it was not read. Split the file into smaller files.",
            size=size,
            limit=self.limit,
        )
        setattr(self.request, ATTRIBUTE, refusal)
        raise StopUpload(connection_reset=True)
