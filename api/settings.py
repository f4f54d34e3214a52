"""All configuration, from the environment (prefix SATUPINTU_), built once in `api`."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ALLOW_NETWORKS_ENV = "SATUPINTU_OUTBOUND_ALLOW_NETWORKS"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SATUPINTU_", extra="ignore")

    var_dir: Path = Path("var")
    database_url: str | None = None  # default: SQLite file under var_dir
    issuer: str = "http://localhost:8000"
    redis_url: str | None = None
    # uvicorn's per-request access log line, every query value shown as *** (api/server_log.py).
    # Off when a load balancer already logs requests.
    access_log: bool = True
    # The request head (request line and header fields) the HTTP protocol reads, counted as it
    # arrives: a head over max_header_bytes gets 431 (414 while still in the request line), one
    # with more than max_headers fields 431, and the connection is closed
    # (api/asgi/http_protocol.py).
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    max_headers: int = Field(default=100, ge=16)

    # Outbound calls (back-channel logout, jwks_uri, sector_identifier_uri): SSRF guard. Global
    # unicast addresses, and those inside these networks: comma-separated CIDRs, e.g.
    # 10.20.0.0/16,127.0.0.0/8,::1/128 for apps on a government network (multicast never).
    outbound_allow_networks: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = ()
    # Replaced by outbound_allow_networks; read only to refuse it, so that a deployment that
    # relied on it hears so at start-up instead of losing its deliveries to private apps.
    outbound_allow_private: bool = False
    outbound_timeout: float = 5.0
    outbound_max_bytes: int = 512 * 1024

    # Token lifetimes, seconds.
    access_token_ttl: int = 600
    id_token_ttl: int = 3600
    code_ttl: int = 60
    refresh_token_ttl: int = 30 * 24 * 3600
    refresh_grace_seconds: int = 0  # reuse of a just-rotated refresh token; off by default

    # SSO session (NIST SP 800-63B AAL2: 12 h absolute, 30 min idle).
    session_ttl: int = 12 * 3600
    session_idle_ttl: int = 30 * 60
    cookie_name: str = "satupintu_session"
    # A sign-in whose password was right and whose second factor is due: its own cookie (sent
    # only to /login/...), never a session, for at most this many seconds.
    signin_cookie_name: str = "satupintu_signin"
    second_factor_ttl: int = Field(default=600, ge=60, le=3600)
    # Removing a factor needs a second-factor check at most this many seconds old.
    mfa_reauth_seconds: int = 300

    # argon2id (OWASP): m=19 MiB, t=2, p=1.
    argon2_time_cost: int = 2
    argon2_memory_cost: int = 19456
    argon2_parallelism: int = 1

    # Dynamic client registration (RFC 7591) behind an initial access token.
    registration_enabled: bool = True

    # Vault/OpenBao Transit; without an address the local keyring under var_dir is used.
    vault_addr: str | None = None
    vault_token: str | None = None
    vault_role_id: str | None = None
    vault_secret_id: str | None = None
    vault_mount: str = "transit"
    vault_key: str = "satupintu"

    dek_cache_size: int = 10_000
    dek_cache_ttl: float = 60.0
    backchannel_poll_seconds: float = Field(default=1.0, ge=0)
    housekeeping_seconds: float = Field(default=3600.0, ge=0)  # 0: only `satupintu housekeeping`
    pending_signup_days: int = Field(default=7, ge=1)  # unverified self-registrations dropped after

    # Brute-force protection (docs/account.md). Counters live in the database, or in Redis when
    # redis_url is set; the prefix keeps deployments (and parallel test runs) apart.
    redis_prefix: str = "satupintu:"
    login_free_failures: int = Field(default=5, ge=1)  # then each attempt waits 2^(n-free) s
    login_max_delay: int = Field(default=900, ge=1)  # the cap: a citizen is never locked out
    login_failure_window: int = Field(default=3600, ge=60)  # failures forgotten after this quiet
    ip_failure_limit: int = Field(default=100, ge=1)  # failed logins/client auths per IP ...
    ip_failure_window: int = Field(default=3600, ge=1)  # ... per this many seconds
    ip_request_limit: int = Field(default=600, ge=0)  # requests to login/token/register per IP
    # (0 turns the request cap off, e.g. behind a gateway that already limits)
    ip_request_window: int = Field(default=60, ge=1)

    # Self-registration, email verification and password reset.
    self_registration_enabled: bool = True
    verify_email_ttl: int = 24 * 3600
    password_reset_ttl: int = 30 * 60
    password_min_length: int = Field(default=8, ge=8)

    # Email: SMTP when smtp_host is set, else a file outbox under var_dir/outbox/.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "SatuPintu <no-reply@satupintu.go.id>"
    smtp_starttls: bool = True
    smtp_timeout: float = 10.0

    @field_validator("outbound_allow_networks", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> tuple[IPv4Network | IPv6Network, ...]:
        items = value.split(",") if isinstance(value, str) else list(value)
        networks = []
        for item in items:
            if isinstance(item, str) and not item.strip():
                continue
            try:
                # strict: an address with host bits set (10.20.1.0/16) is a typo, not a network
                networks.append(ip_network(item.strip() if isinstance(item, str) else item))
            except (ValueError, TypeError) as exc:
                raise ValueError(
                    f"{ALLOW_NETWORKS_ENV}: {item!r} is not a network ({exc}); give networks"
                    " in CIDR notation, comma-separated, e.g. 10.20.0.0/16,127.0.0.0/8,::1/128"
                ) from None
        return tuple(networks)

    @field_validator("outbound_allow_private")
    @classmethod
    def _replaced(cls, value: bool) -> bool:
        if value:
            raise ValueError(
                f"SATUPINTU_OUTBOUND_ALLOW_PRIVATE was replaced by {ALLOW_NETWORKS_ENV}: list"
                " the networks outbound calls may reach, e.g. 10.20.0.0/16,127.0.0.0/8,::1/128"
            )
        return value

    @property
    def db_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{(self.var_dir / 'satupintu.db').resolve()}"

    @property
    def issuer_base(self) -> str:
        return self.issuer.rstrip("/")

    @property
    def secure_cookies(self) -> bool:
        return self.issuer.startswith("https://")
