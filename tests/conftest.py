"""Fixtures shared by every test folder: the SeaweedFS S3 server (session-wide, started on first use)."""

from tests.seaweedfs import s3_environment, s3_server

__all__ = ["s3_environment", "s3_server"]
