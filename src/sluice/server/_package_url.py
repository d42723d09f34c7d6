"""Fetching pipeline packages from ``package_url`` (http, https, s3), as KFP's CreatePipelineVersion does.

The service fetches on the caller's behalf, so it guards against server-side request forgery: only http(s)
and s3 URLs; every address a host name resolves to must be public (no loopback, link-local, private,
reserved or multicast address) unless the host is allowed by ``sluice up --allow-package-host``; the
connection goes to the address that was checked (no second lookup to rebind); redirects are followed by
hand, each one checked again; the body is capped at ``MAX_PACKAGE_BYTES`` and the whole fetch at a timeout.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import time
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

from sluice.server._errors import invalid_argument
from sluice.server._packages import MAX_PACKAGE_BYTES

__all__ = ["PackageFetcher", "check_package_host"]

_MAX_REDIRECTS = 5
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def check_package_host(value: str) -> str:
    """A ``--allow-package-host`` value: a host name or address (optionally with :port), or ``*``."""
    text = value.strip().lower()
    if not text or any(character in text for character in "/@?# "):
        raise ValueError(f"--allow-package-host {value!r}: expected a host name or address, or '*'")
    return text


@dataclass(frozen=True)
class PackageFetcher:
    """Fetches a package URL within the limits; ``allowed_hosts`` may resolve to non-public addresses."""

    allowed_hosts: tuple[str, ...] = ()
    timeout_s: float = 30.0
    max_bytes: int = MAX_PACKAGE_BYTES

    def fetch(self, url: str) -> tuple[bytes, str]:
        """The package's bytes and a file name for it; a 400 naming the URL and the problem otherwise."""
        scheme = urlsplit(url).scheme.lower()
        if scheme == "s3":
            return self._fetch_s3(url)
        if scheme not in ("http", "https"):
            raise invalid_argument(f"package_url {url!r}: only http, https and s3 URLs are fetched")
        deadline = time.monotonic() + self.timeout_s
        current = url
        for _ in range(_MAX_REDIRECTS + 1):
            response_or_next = self._fetch_http(current, deadline, original=url)
            if isinstance(response_or_next, str):
                current = response_or_next
                continue
            return response_or_next, _file_name(current)
        raise invalid_argument(f"package_url {url!r}: more than {_MAX_REDIRECTS} redirects")

    # -------------------------------------------------------------------------------------------- http

    def _fetch_http(self, url: str, deadline: float, *, original: str) -> bytes | str:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise invalid_argument(f"package_url {original!r}: redirected to {url!r}, which is not http(s)")
        host = parts.hostname
        try:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        except ValueError:
            raise invalid_argument(f"package_url {original!r}: {url!r} has an invalid port") from None
        address = self._checked_address(host, port, original)
        shown_address = f"[{address}]" if address.version == 6 else str(address)
        pinned = parts._replace(netloc=f"{shown_address}:{port}").geturl()
        host_header = parts.netloc.rsplit("@", 1)[-1]
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise invalid_argument(f"package_url {original!r}: timed out after {self.timeout_s:g} s")
        import httpx  # here, not at the top: its import (~0.1 s, rich among it) was `sluice up`'s at every start

        try:
            with (
                httpx.Client(timeout=remaining, follow_redirects=False, trust_env=False) as client,
                client.stream(
                    "GET",
                    pinned,
                    headers={"Host": host_header, "Accept-Encoding": "identity"},
                    extensions={"sni_hostname": host},
                ) as response,
            ):
                if response.is_redirect:
                    location = str(response.headers.get("location") or "")
                    if not location:
                        raise invalid_argument(f"package_url {original!r}: a redirect without a Location")
                    return urljoin(url, location)
                if response.status_code != 200:
                    raise invalid_argument(
                        f"package_url {original!r}: the server answered HTTP {response.status_code}"
                    )
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise self._too_large(original)
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > self.max_bytes:
                        raise self._too_large(original)
                    if time.monotonic() > deadline:
                        raise invalid_argument(
                            f"package_url {original!r}: timed out after {self.timeout_s:g} s"
                        )
                return bytes(body)
        except httpx.TimeoutException:
            raise invalid_argument(
                f"package_url {original!r}: timed out after {self.timeout_s:g} s"
            ) from None
        except httpx.HTTPError as error:
            raise invalid_argument(f"package_url {original!r}: could not fetch it ({error})") from None

    def _too_large(self, url: str) -> Exception:
        return invalid_argument(f"package_url {url!r}: the package is larger than {self.max_bytes} bytes")

    def _allowed(self, host: str, port: int) -> bool:
        names = {host.lower().strip("[]"), f"{host.lower()}:{port}"}
        return "*" in self.allowed_hosts or any(name in self.allowed_hosts for name in names)

    def _checked_address(self, host: str, port: int, original: str) -> _Address:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            raise invalid_argument(f"package_url {original!r}: cannot resolve {host!r} ({error})") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        if not addresses:
            raise invalid_argument(f"package_url {original!r}: {host!r} has no address")
        if not self._allowed(host, port):
            for address in addresses:
                if not _is_public(address):
                    raise invalid_argument(
                        f"package_url {original!r}: {host!r} resolves to {address}, a loopback, private, "
                        "link-local or reserved address, which the server does not fetch from (an "
                        "administrator can allow the host: sluice up --allow-package-host HOST)"
                    )
        return addresses[0]

    # ---------------------------------------------------------------------------------------------- s3

    def _fetch_s3(self, url: str) -> tuple[bytes, str]:
        parts = urlsplit(url)
        if not parts.netloc or not parts.path.strip("/"):
            raise invalid_argument(f"package_url {url!r}: expected s3://BUCKET/KEY")
        try:
            import s3fs
        except ImportError:
            raise invalid_argument(f"package_url {url!r}: s3 URLs need the s3 extra (s3fs)") from None
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None
        filesystem = s3fs.S3FileSystem(
            endpoint_url=endpoint,
            key=os.environ.get("AWS_ACCESS_KEY_ID"),
            secret=os.environ.get("AWS_SECRET_ACCESS_KEY"),
            config_kwargs={
                "connect_timeout": self.timeout_s,
                "read_timeout": self.timeout_s,
                "retries": {"max_attempts": 1},
            },
            skip_instance_cache=True,
        )
        path = f"{parts.netloc}{parts.path}"
        try:
            size = int(filesystem.size(path) or 0)
            if size > self.max_bytes:
                raise self._too_large(url)
            with filesystem.open(path, "rb") as stream:
                data = stream.read(self.max_bytes + 1)
        except FileNotFoundError:
            raise invalid_argument(f"package_url {url!r}: no such object") from None
        except OSError as error:
            raise invalid_argument(f"package_url {url!r}: could not fetch it ({error})") from None
        if len(data) > self.max_bytes:
            raise self._too_large(url)
        return bytes(data), _file_name(url)


def _is_public(address: _Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _is_public(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


def _file_name(url: str) -> str:
    name = PurePosixPath(urlsplit(url).path).name
    return name or "pipeline.yaml"
