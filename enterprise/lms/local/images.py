"""Course images: what a course image may be (PNG, JPEG or GIF, up to 5 MB: the types
Adobe Commerce's image content validator takes), told by its bytes.

The type is read from the file's signature, never from its name or a declared content type: the
public catalog copies images to a CDN and Adobe Commerce receives them base64-encoded with their
type, so a file that is not the image it claims to be never leaves this app.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_BYTES = 5 * 1024 * 1024
#: (signature test, MIME type, extension)
_SIGNATURES = (
    (lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"), "image/png", "png"),
    (lambda head: head.startswith(b"\xff\xd8\xff"), "image/jpeg", "jpg"),
    (lambda head: head[:6] in (b"GIF87a", b"GIF89a"), "image/gif", "gif"),
)


def sniff(head: bytes) -> tuple[str, str] | None:
    """(MIME type, extension) of an image from its first bytes; None when it is none of ours."""
    for test, mime, extension in _SIGNATURES:
        if test(head):
            return mime, extension
    return None


def validate_course_image(file) -> None:
    if file.size > MAX_BYTES:
        raise ValidationError(_("A course image is at most 5 MB."))
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(16)
    file.seek(position)
    if sniff(head) is None:
        raise ValidationError(_("A course image is a PNG, JPEG or GIF file."))
