"""An upload handler that streams every file to disk and skips files over the size limit."""

from django.conf import settings
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    """Like Django's temporary-file handler (so no file is held whole in memory), but a file
    larger than EVIDENCE_MAX_UPLOAD_SIZE is dropped as it arrives and its name is noted in
    `request.oversize_uploads` so the view can say which file was refused and why."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.EVIDENCE_MAX_UPLOAD_SIZE:
            oversize = getattr(self.request, "oversize_uploads", [])
            oversize.append(self.file_name)
            self.request.oversize_uploads = oversize
            raise SkipFile()
        return super().receive_data_chunk(raw_data, start)
