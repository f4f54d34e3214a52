"""The composition root: every service built once from Settings and wired by constructor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.db import make_engine
from api.settings import ALLOW_NETWORKS_ENV, Settings
from audit import AuditEvent, AuditLog, Outcome
from consent.records import ConsentRegistry
from idp.accounts.orgs import Organisations
from idp.accounts.password_policy import PasswordPolicy
from idp.accounts.passwords import Argon2Params, PasswordHasher
from idp.accounts.users import UserDirectory
from idp.clock import Clock, system_clock
from idp.housekeeping import Housekeeping
from idp.oauth.client_uris import ClientUriCheck
from idp.oauth.clients import ClientRegistry
from idp.oauth.keys import KeyRing
from idp.oauth.registration import Registration
from idp.oauth.subjects import SubjectMapper
from idp.oauth.tokens import TokenService
from idp.oidc.authorize import AuthorizationFlow
from idp.oidc.claims import ClaimsSource
from idp.oidc.context import ProviderContext
from idp.oidc.interactions import Interactions
from idp.oidc.logout import LogoutService
from idp.oidc.provider import OpenIDProvider
from idp.outbound import OutboundClient, OutboundPolicy
from idp.selfservice.account import AccountService
from idp.selfservice.links import AccountTokens
from idp.selfservice.mail import FileOutbox, Mailer, SmtpConfig, SmtpMailer
from idp.selfservice.notices import Notifier
from idp.selfservice.password_reset import PasswordReset
from idp.selfservice.signup import SelfRegistration
from idp.signin.mfa.factors import SecondFactors
from idp.signin.mfa.policy import MfaPolicy
from idp.signin.mfa.recovery import RecoveryCodes
from idp.signin.mfa.totp import TotpFactors
from idp.signin.mfa.webauthn import WebAuthnFactors
from idp.signin.password import PasswordLogin
from idp.signin.password_signin import PasswordSignIn
from idp.signin.pending import PendingSignIns
from idp.signin.ratelimit import Limits, RateLimiter
from idp.signin.ratelimit_store import CounterStore, RedisCounterStore, SqlCounterStore
from idp.signin.sessions import SsoSessions
from vault import BlindIndex, EnvelopeCipher, FieldContext, KeyProvider, fields
from vault.keystore import SubjectKeyStore
from vault.providers.local import LocalKeyring
from vault.server_secret import ServerSecret


@dataclass
class Services:
    settings: Settings
    engine: Engine
    db: sessionmaker[Session]
    clock: Clock
    provider: KeyProvider
    cipher: EnvelopeCipher
    audit: AuditLog
    orgs: Organisations
    users: UserDirectory
    clients: ClientRegistry
    keys: KeyRing
    tokens: TokenService
    subjects: SubjectMapper
    server: OpenIDProvider
    sessions: SsoSessions
    pending_signins: PendingSignIns
    interactions: Interactions
    consent: ConsentRegistry
    flow: AuthorizationFlow
    logout: LogoutService
    claims: ClaimsSource
    registration: Registration
    factors: SecondFactors
    mfa: MfaPolicy
    csrf_key: bytes
    limiter: RateLimiter
    password_login: PasswordLogin
    password_signin: PasswordSignIn
    mailer: Mailer
    account_tokens: AccountTokens
    self_registration: SelfRegistration
    password_reset: PasswordReset
    account: AccountService
    housekeeping: Housekeeping

    def close(self) -> None:
        self.audit.close()
        self.engine.dispose()


def make_provider(settings: Settings, clock: Clock = system_clock) -> KeyProvider:
    if settings.vault_addr:
        from vault.providers.transit import TransitKeyProvider

        return TransitKeyProvider.from_settings(
            addr=settings.vault_addr,
            token=settings.vault_token,
            role_id=settings.vault_role_id,
            secret_id=settings.vault_secret_id,
            mount=settings.vault_mount,
            key=settings.vault_key,
            # Token renewal follows the injected clock, so tests move time instead of sleeping.
            monotonic=lambda: clock().timestamp(),
        )
    return LocalKeyring(settings.var_dir / "keyring.json")


def make_server_secret(store: SubjectKeyStore, provider: KeyProvider) -> ServerSecret:
    """The wrapped secret behind pairwise `sub`s, recovery codes, CSRF and rate-limit keys."""
    seed = provider.mac_seed if isinstance(provider, LocalKeyring) else None
    return ServerSecret(store, provider, seed=seed)


def make_counter_store(
    settings: Settings, engine: Engine, db: sessionmaker[Session]
) -> CounterStore:
    if settings.redis_url:
        import redis

        return RedisCounterStore(redis.Redis.from_url(settings.redis_url), settings.redis_prefix)
    return SqlCounterStore(engine, db)


def make_mailer(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                user=settings.smtp_user,
                password=settings.smtp_password,
                sender=settings.smtp_from,
                starttls=settings.smtp_starttls,
                timeout=settings.smtp_timeout,
            )
        )
    return FileOutbox(settings.var_dir / "outbox", settings.smtp_from)


def make_limiter(
    settings: Settings,
    engine: Engine,
    db: sessionmaker[Session],
    audit: AuditLog,
    clock: Clock,
    key: bytes,
) -> RateLimiter:
    limits = Limits(
        free_failures=settings.login_free_failures,
        max_delay=settings.login_max_delay,
        failure_window=settings.login_failure_window,
        ip_failure_limit=settings.ip_failure_limit,
        ip_failure_window=settings.ip_failure_window,
        ip_request_limit=settings.ip_request_limit,
        ip_request_window=settings.ip_request_window,
    )
    return RateLimiter(make_counter_store(settings, engine, db), limits, audit, clock, key)


def build_services(settings: Settings, clock: Clock = system_clock) -> Services:
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    provider = make_provider(settings, clock)
    audit = AuditLog(engine, clock)

    def integrity_failed(ctx: FieldContext, reason: str) -> None:
        # Where, never what: table/column/row ids only, no ciphertext or plaintext.
        audit.record(
            AuditEvent(
                "vault.integrity_failure",
                Outcome.FAILURE,
                actor="system",
                subject=ctx.subject,
                detail={"table": ctx.table, "column": ctx.column, "row": ctx.row},
            )
        )

    store = SubjectKeyStore(engine, clock)
    cipher = EnvelopeCipher(
        provider,
        store,
        cache_size=settings.dek_cache_size,
        cache_ttl=settings.dek_cache_ttl,
        on_integrity_failure=integrity_failed,
    )
    secret = make_server_secret(store, provider)
    # Sessions carry the cipher so SealedField attributes open on every loaded row.
    db = sessionmaker(engine, expire_on_commit=False, info={fields.INFO_KEY: cipher})
    hasher = PasswordHasher(
        Argon2Params(
            settings.argon2_time_cost, settings.argon2_memory_cost, settings.argon2_parallelism
        )
    )
    policy = PasswordPolicy(min_length=settings.password_min_length)
    users = UserDirectory(engine, db, cipher, BlindIndex(provider), hasher, audit, clock, policy)
    outbound = OutboundClient(
        OutboundPolicy(
            settings.outbound_allow_networks, settings.outbound_timeout, settings.outbound_max_bytes
        )
    )
    clients = ClientRegistry(db, audit, clock, uris=ClientUriCheck(outbound, ALLOW_NETWORKS_ENV))
    overlap = timedelta(seconds=max(settings.id_token_ttl, settings.access_token_ttl) + 300)
    keys = KeyRing(db, cipher, audit, clock, overlap)
    subjects = SubjectMapper(secret)
    tokens = TokenService(
        db,
        keys,
        subjects,
        clock,
        issuer=settings.issuer_base,
        access_ttl=settings.access_token_ttl,
        refresh_ttl=settings.refresh_token_ttl,
    )
    ctx = ProviderContext(
        db=db,
        clock=clock,
        issuer=settings.issuer_base,
        keys=keys,
        tokens=tokens,
        subjects=subjects,
        clients=clients,
        audit=audit,
        outbound=outbound,
        claims=ClaimsSource(users, subjects),
        code_ttl=settings.code_ttl,
        id_token_ttl=settings.id_token_ttl,
        refresh_grace_seconds=settings.refresh_grace_seconds,
    )
    server = OpenIDProvider(ctx)
    sessions = SsoSessions(
        db,
        audit,
        clock,
        timedelta(seconds=settings.session_ttl),
        timedelta(seconds=settings.session_idle_ttl),
    )
    interactions = Interactions(db, clock, secret.key("interaction-login-hint"))
    pending = PendingSignIns(db, audit, clock, timedelta(seconds=settings.second_factor_ttl))

    def trusted(client_id: str) -> bool:
        client = clients.get(client_id)
        return bool(client and client.metadata.get("skip_consent"))

    consent = ConsentRegistry(db, audit, clock, trusted_clients=trusted)
    logout = LogoutService(ctx, sessions, engine)
    limiter = make_limiter(settings, engine, db, audit, clock, secret.key("ratelimit-key"))
    password_login = PasswordLogin(users, limiter, audit)
    mailer = make_mailer(settings)
    notifier = Notifier(mailer, settings.issuer_base)
    account_tokens = AccountTokens(db, clock)
    account = AccountService(
        db,
        users,
        sessions,
        logout,
        tokens,
        clients,
        password_login,
        notifier,
        audit,
        clock,
        consent,
    )
    factors = SecondFactors(
        TotpFactors(db, cipher, audit, clock),
        RecoveryCodes(db, secret.key("mfa-recovery-codes"), audit, clock),
        WebAuthnFactors(db, audit, clock, settings.issuer_base),
        db,
    )
    mfa = MfaPolicy(db, factors.enrolled)
    return Services(
        settings=settings,
        engine=engine,
        db=db,
        clock=clock,
        provider=provider,
        cipher=cipher,
        audit=audit,
        orgs=Organisations(db, audit, clock),
        users=users,
        clients=clients,
        keys=keys,
        tokens=tokens,
        subjects=subjects,
        server=server,
        sessions=sessions,
        pending_signins=pending,
        interactions=interactions,
        consent=consent,
        flow=AuthorizationFlow(server, sessions, interactions, consent, mfa),
        logout=logout,
        claims=ctx.claims,
        registration=Registration(db, clients, audit, clock),
        factors=factors,
        mfa=mfa,
        csrf_key=secret.key("csrf-key"),
        limiter=limiter,
        password_login=password_login,
        password_signin=PasswordSignIn(engine, db, password_login, factors, pending, sessions),
        mailer=mailer,
        account_tokens=account_tokens,
        self_registration=SelfRegistration(
            db,
            users,
            account_tokens,
            notifier,
            audit,
            clock,
            verify_ttl=settings.verify_email_ttl,
        ),
        password_reset=PasswordReset(
            db,
            users,
            account_tokens,
            account,
            password_login,
            notifier,
            audit,
            clock,
            ttl=settings.password_reset_ttl,
        ),
        account=account,
        housekeeping=Housekeeping(
            db,
            audit,
            clock,
            pending_ttl=timedelta(days=settings.pending_signup_days),
            shred=cipher.shred,
        ),
    )
