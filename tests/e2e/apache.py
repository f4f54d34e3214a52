"""Apache httpd with mod_auth_openidc as a relying party: Debian's `apache2` and
`libapache2-mod-auth-openidc`, run in the foreground from a configuration generated into a temp
dir (the system's /etc/apache2 is neither read nor changed), one vhost per regional app.

VHOST is the configuration docs/integration.md shows (a test checks the two agree)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

APACHE = Path("/usr/sbin/apache2")
MODULES_DIR = Path("/usr/lib/apache2/modules")
MODULES = (
    "mpm_event",
    "authn_core",
    "authz_core",
    "authz_user",
    "mime",
    "dir",
    "include",
    "auth_openidc",
)
START_TIMEOUT = 20.0

# What runs the vhosts: a standalone server, not the system's.
SERVER = """\
ServerRoot {root}
ServerName localhost
PidFile {root}/httpd.pid
DefaultRuntimeDir {root}/run
ErrorLog {root}/error.log
LogLevel warn auth_openidc:info
LogFormat "%h %m %U %>s" brief
CustomLog {root}/access.log brief
{user}{modules}TypesConfig /dev/null
AddType text/html .html
StartServers 1
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
MinSpareThreads 4
MaxSpareThreads 16
"""

# One regional app: mod_auth_openidc protects /private/ (the redirect URI lives inside it).
VHOST = """\
Listen {listen}
<VirtualHost {listen}>
    ServerName {host}
    DocumentRoot {document_root}
    OIDCProviderMetadataURL {issuer}/.well-known/openid-configuration
    OIDCClientID {client_id}
    OIDCClientSecret {client_secret}
    OIDCRedirectURI {app}/private/redirect_uri
    OIDCCryptoPassphrase {passphrase}
    OIDCScope "openid profile email"
    OIDCPKCEMethod S256
    OIDCSessionType server-cache
    OIDCCacheType shm
    OIDCCookie {slug}_session
    OIDCStateCookiePrefix {slug}_state_
    OIDCRemoteUserClaim preferred_username
    <Location /private>
        AuthType openid-connect
        Require valid-user
    </Location>
    <Directory {document_root}/private>
        Options +Includes
        AddOutputFilter INCLUDES .html
    </Directory>
</VirtualHost>
"""

# The protected page shows who mod_auth_openidc says is signed in (SSI echoes its variables).
PRIVATE_PAGE = """\
<!doctype html><title>{name}</title>
<main><h1>{name}</h1>
<p>Masuk sebagai <b id="user"><!--#echo var="REMOTE_USER" --></b>
(<span id="email"><!--#echo var="OIDC_CLAIM_email" --></span>)</p></main>
"""
LOGGED_OUT_PAGE = "<!doctype html><title>{name}</title><main><h1>Anda sudah keluar</h1></main>\n"


def server_config(root: Path | str, *, as_root: bool) -> str:
    """The server part of httpd.conf (its children run as www-data when started as root)."""
    user = "User www-data\nGroup www-data\n" if as_root else ""
    modules = "".join(f"LoadModule {m}_module {MODULES_DIR}/mod_{m}.so\n" for m in MODULES)
    return SERVER.format(root=root, user=user, modules=modules)


@dataclass(frozen=True)
class ProtectedApp:
    """A regional app behind mod_auth_openidc, on its own port (and so its own vhost)."""

    name: str
    slug: str
    port: int

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def redirect_uri(self) -> str:
        return f"{self.origin}/private/redirect_uri"

    @property
    def backchannel_logout_uri(self) -> str:
        return f"{self.redirect_uri}?logout=backchannel"

    @property
    def logged_out_url(self) -> str:
        return f"{self.origin}/loggedout.html"


class Apache:
    """One `apache2 -DFOREGROUND` process serving every app given to `start`."""

    def __init__(self) -> None:
        for needed in (APACHE, MODULES_DIR / "mod_auth_openidc.so"):
            assert needed.exists(), f"{needed} is missing: `make test` installs it"
        # Its children run as www-data when started as root: the dir must be readable to them.
        self.root = Path(tempfile.mkdtemp(prefix="satupintu-apache-"))
        self.root.chmod(0o755)
        (self.root / "run").mkdir()
        self.proc: subprocess.Popen[bytes] | None = None

    def configure(self, issuer: str, apps: list[tuple[ProtectedApp, dict[str, str]]]) -> Path:
        """Write httpd.conf and the apps' pages; `apps` pairs each app with its registration."""
        parts = [server_config(self.root, as_root=os.geteuid() == 0)]
        for app, registration in apps:
            docs = self.root / app.slug
            (docs / "private").mkdir(parents=True)
            (docs / "private" / "index.html").write_text(PRIVATE_PAGE.format(name=app.name))
            (docs / "loggedout.html").write_text(LOGGED_OUT_PAGE.format(name=app.name))
            parts.append(
                VHOST.format(
                    listen=f"127.0.0.1:{app.port}",
                    host="localhost",
                    document_root=docs,
                    issuer=issuer,
                    client_id=registration["client_id"],
                    client_secret=registration["client_secret"],
                    app=app.origin,
                    passphrase=os.urandom(24).hex(),
                    slug=app.slug,
                )
            )
        conf = self.root / "httpd.conf"
        conf.write_text("\n".join(parts))
        return conf

    def start(self, conf: Path, apps: list[ProtectedApp]) -> None:
        check = subprocess.run(
            [str(APACHE), "-f", str(conf), "-t"], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stderr
        with (self.root / "stdout.log").open("wb") as out:
            self.proc = subprocess.Popen(
                [str(APACHE), "-f", str(conf), "-DFOREGROUND"],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        waiting = list(apps)
        while waiting and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"apache2 exited {self.proc.returncode}:\n{self.logs()}")
            try:
                if httpx.get(waiting[0].logged_out_url, timeout=2).status_code == 200:
                    waiting.pop(0)
                    continue
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        assert not waiting, f"apache2 did not answer:\n{self.logs()}"

    def logs(self, lines: int = 80) -> str:
        out = []
        for name in ("stdout.log", "error.log", "access.log"):
            path = self.root / name
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- apache {name} ---\n" + "\n".join(tail))
        return "\n".join(out)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the parent stops its children
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)
