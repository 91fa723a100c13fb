"""Every setting of monitor, declared once: name, type, default and help.

Settings come from one TOML file (``--config PATH``, else ``MONITOR_CONFIG``, else
``config/monitor.toml`` in the working directory, else the default shipped with the
package), then environment overrides (see :data:`ENV_OVERRIDES`). Secrets (SMTP password,
webhook signing keys) are never required in the TOML: they are read from the environment
variable or file the TOML names. ``monitor config reference`` prints the reference in the
README from these same declarations.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor.errors import ConfigError
from monitor.records import TARGET_TYPES, WEAPONS

DEFAULT_CONFIG_PATH = Path("config/monitor.toml")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_duration(value: Any) -> timedelta:
    """``"90s"``, ``"15m"``, ``"1.5h"``, ``"7d"`` or a number of seconds, as a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str) and (match := _DURATION.match(value)):
        return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 15m, 2h, 1d or seconds)")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Severity = Literal["low", "medium", "high", "critical"]
SEVERITY_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    """Where monitor keeps feeds, items, incidents and the alert outbox."""

    url: str = Field(
        "sqlite:///var/monitor.db",
        description="SQLAlchemy URL: sqlite:///PATH (embedded, default) or "
        "postgresql+psycopg://USER@HOST/DB. Env: MONITOR_DATABASE_URL.",
    )
    echo: bool = Field(False, description="Log every SQL statement (debugging).")


class FetchSettings(_Section):
    """How feeds and article pages are downloaded."""

    user_agent: str = Field(
        "monitor/0.1 (+https://github.com/monitor/monitor; news monitoring)",
        description="User-Agent header sent with every request.",
    )
    connect_timeout: Duration = Field(
        timedelta(seconds=10), description="DNS resolution plus TCP/TLS connect, per connection."
    )
    read_timeout: Duration = Field(
        timedelta(seconds=20),
        description="Longest silence while waiting for the answer or its next chunk.",
    )
    total_timeout: Duration = Field(
        timedelta(seconds=60),
        description="Longest time one fetch may take, redirects included (stops servers that "
        "drip bytes).",
    )
    max_response_bytes: int = Field(
        10_000_000,
        ge=1024,
        description="Largest body accepted, once decompressed; the download is aborted as soon "
        "as it goes over (bytes).",
    )
    max_redirects: int = Field(
        5, ge=0, le=20, description="Redirects followed per fetch (loops are detected)."
    )
    max_concurrency: int = Field(64, ge=1, description="Requests in flight at once, overall.")
    max_per_host: int = Field(4, ge=1, description="Requests in flight at once to one host.")
    allow_private_networks: bool = Field(
        False,
        description="Allow feeds on loopback and private addresses (link-local and cloud "
        "metadata addresses are always refused).",
    )
    full_text_min_chars: int = Field(
        400,
        ge=0,
        description="With fetch_full_text, items whose text is shorter than this get the "
        "article page fetched and extracted.",
    )


class PollingSettings(_Section):
    """When feeds are polled, and how failures back off."""

    default_interval: Duration = Field(
        timedelta(minutes=10), description="Interval for feeds that do not set their own."
    )
    min_interval: Duration = Field(
        timedelta(minutes=1), description="No feed is polled more often than this."
    )
    max_interval: Duration = Field(
        timedelta(hours=6),
        description="Ceiling for feeds that ask (ttl, sy:updatePeriod) to be polled less often.",
    )
    backoff_base: Duration = Field(
        timedelta(minutes=1), description="First retry delay after a failure; doubles each time."
    )
    backoff_max: Duration = Field(
        timedelta(hours=4),
        description="Ceiling of the failure back-off; a feed that keeps failing is retried "
        "this often.",
    )
    unhealthy_after: int = Field(
        5,
        ge=1,
        description="Consecutive failures after which a feed is flagged unhealthy (a 410 Gone "
        "flags it at once).",
    )


class FeedConfig(_Section):
    """A feed to poll: a URL, or a local file path."""

    name: str = Field(description="Unique, human name of the feed.")
    url: str | None = Field(None, description="http(s) URL of an RSS, Atom or JSON Feed.")
    path: str | None = Field(None, description="Local feed file (relative to the working dir).")
    interval: Duration | None = Field(None, description="Polling interval for this feed.")
    enabled: bool = Field(True, description="Disabled feeds are kept but not polled.")
    fetch_full_text: bool = Field(
        False, description="Fetch and extract the article page for summary-only items."
    )
    category: str | None = Field(None, description="Free label, kept in OPML export.")

    @model_validator(mode="after")
    def _one_location(self) -> FeedConfig:
        if (self.url is None) == (self.path is None):
            raise ValueError("give exactly one of 'url' or 'path'")
        if self.url is not None and not re.match(r"^https?://", self.url):
            raise ValueError(f"url must start with http:// or https://, got {self.url!r}")
        return self


class SiteConfig(_Section):
    """A named site and the other names reporters use for it."""

    name: str = Field(description="The site's name, e.g. 'Ain al-Asad air base'.")
    aliases: list[str] = Field(default_factory=list, description="Other spellings and names.")
    country: str | None = Field(None, description="ISO 3166 alpha-2 code of the site.")


class WatchRule(_Section):
    """A watch rule: an attack hits it when every condition given holds.

    Within one list any value may match (OR); across fields all must match (AND).
    Empty lists and unset numbers are no condition.
    """

    name: str = Field(description="Unique rule name, shown in alerts and the export.")
    description: str = Field("", description="What the rule is for.")
    severity: Severity = Field("high", description="Severity of alerts from this rule.")
    target_types: list[str] = Field(
        default_factory=list, description=f"Target types, among: {', '.join(TARGET_TYPES)}."
    )
    target_nationalities: list[str] = Field(
        default_factory=list,
        description="ISO alpha-2 codes of the countries whose facilities or people are "
        "targeted (e.g. ['US']).",
    )
    sites: list[SiteConfig] = Field(
        default_factory=list, description="Named sites (with aliases); the place must be one."
    )
    countries: list[str] = Field(
        default_factory=list, description="ISO alpha-2 codes of where the attack happened."
    )
    places: list[str] = Field(
        default_factory=list,
        description="Words the place must contain (e.g. 'Red Sea', 'Gulf of Aden').",
    )
    perpetrators: list[str] = Field(
        default_factory=list, description="Words the perpetrator must contain."
    )
    weapons: list[str] = Field(
        default_factory=list, description=f"Weapons, among: {', '.join(WEAPONS)}."
    )
    min_killed: int | None = Field(None, ge=0, description="At least this many killed.")
    min_casualties: int | None = Field(
        None, ge=0, description="At least this many killed plus injured."
    )
    keywords: list[str] = Field(
        default_factory=list, description="Words of which one must appear in the item's text."
    )
    exclude_keywords: list[str] = Field(
        default_factory=list, description="Words that, in the item's text, veto the rule."
    )

    @field_validator("target_types")
    @classmethod
    def _known_target_types(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in TARGET_TYPES]
        if unknown:
            raise ValueError(f"unknown target type(s) {unknown}; use {list(TARGET_TYPES)}")
        return values

    @field_validator("weapons")
    @classmethod
    def _known_weapons(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in WEAPONS]
        if unknown:
            raise ValueError(f"unknown weapon(s) {unknown}; use {list(WEAPONS)}")
        return values

    @field_validator("target_nationalities", "countries")
    @classmethod
    def _iso_codes(cls, values: list[str]) -> list[str]:
        bad = [v for v in values if not re.fullmatch(r"[A-Za-z]{2}", v)]
        if bad:
            raise ValueError(f"not ISO 3166 alpha-2 codes: {bad}")
        return [v.upper() for v in values]


def is_email_address(value: str) -> bool:
    """Whether ``value`` is one plain address (``name@domain``, or ``Name <name@domain>``)."""
    from email.utils import parseaddr

    if any(c in value for c in "\r\n,;"):
        return False
    _, address = parseaddr(value)
    local, _, domain = address.rpartition("@")
    return bool(local) and bool(domain) and " " not in address


class ChannelConfig(_Section):
    """Where alerts go. ``type`` picks the channel; each type reads its own keys."""

    name: str = Field(description="Unique channel name, referenced by subscriptions.")
    type: Literal["console", "file", "email", "webhook"] = Field(description="Channel kind.")
    directory: str = Field("var/outbox", description="file: where .json and .eml files go.")
    to: list[str] = Field(default_factory=list, description="email: recipient addresses.")
    url: str | None = Field(None, description="webhook: the URL alerts are POSTed to.")
    preset: Literal["generic", "slack", "discord", "teams"] = Field(
        "generic", description="webhook: payload format."
    )
    secret_env: str | None = Field(
        None, description="webhook: environment variable holding the HMAC signing secret."
    )
    secret_file: str | None = Field(
        None, description="webhook: file holding the HMAC signing secret."
    )
    timeout: Duration = Field(
        timedelta(seconds=15),
        description="webhook: request timeout (email uses smtp.timeout).",
    )

    @model_validator(mode="after")
    def _required_keys(self) -> ChannelConfig:
        if self.type == "email" and not self.to:
            raise ValueError("an email channel needs 'to' (a list of addresses)")
        if self.type == "webhook" and not self.url:
            raise ValueError("a webhook channel needs 'url'")
        if self.url is not None and not re.match(r"^https?://[^\s/]+", self.url):
            raise ValueError(f"url must be an http:// or https:// URL, got {self.url!r}")
        bad = [a for a in self.to if not is_email_address(a)]
        if bad:
            raise ValueError(f"not email addresses: {bad}")
        return self


class SubscriptionConfig(_Section):
    """Who gets what: a channel, the rules that matter to them, and when."""

    name: str = Field(description="Unique subscription name.")
    channel: str = Field(description="Name of a [[channels]] entry.")
    rules: list[str] = Field(
        default_factory=lambda: ["*"], description="Watch rule names, or ['*'] for all."
    )
    min_severity: Severity | None = Field(None, description="Skip rules below this severity.")
    mode: Literal["immediate", "digest", "both"] = Field(
        "immediate", description="Immediate alerts, scheduled digests, or both."
    )
    digest_cron: str = Field("0 7 * * *", description="Digest schedule, a 5-field cron expression.")
    timezone: str = Field("UTC", description="Time zone of the digest schedule (IANA name).")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("digest_cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from croniter import croniter

        if not croniter.is_valid(value):
            raise ValueError(f"not a valid cron expression: {value!r}")
        return value


class SmtpSettings(_Section):
    """The mail server email channels send through."""

    host: str = Field("localhost", description="SMTP server host. Env: MONITOR_SMTP_HOST.")
    port: int = Field(25, ge=1, le=65535, description="SMTP port. Env: MONITOR_SMTP_PORT.")
    security: Literal["none", "starttls", "tls"] = Field(
        "none", description="Plain, STARTTLS upgrade, or implicit TLS."
    )
    username: str | None = Field(None, description="Login, when the server needs one.")
    password_env: str = Field(
        "MONITOR_SMTP_PASSWORD", description="Environment variable holding the password."
    )
    password_file: str | None = Field(None, description="File holding the password.")
    sender: str = Field("monitor@localhost", description="From address of alerts.")
    timeout: Duration = Field(timedelta(seconds=30), description="Connect and command timeout.")
    ca_file: str | None = Field(
        None,
        description="PEM file of CA certificates to trust for starttls/tls, for a server "
        "with a private or self-signed certificate (default: the system's).",
    )

    @field_validator("sender")
    @classmethod
    def _valid_sender(cls, value: str) -> str:
        if not is_email_address(value):
            raise ValueError(f"not an email address: {value!r}")
        return value


class AlertSettings(_Section):
    """The outbox and its dispatcher."""

    max_attempts: int = Field(8, ge=1, description="Sends tried before a delivery is failed.")
    retry_base: Duration = Field(
        timedelta(seconds=30), description="First retry delay; doubles each attempt."
    )
    retry_max: Duration = Field(timedelta(hours=1), description="Ceiling of the retry delay.")
    batch_size: int = Field(50, ge=1, description="Deliveries claimed per dispatch round.")
    digest_max_incidents: int = Field(100, ge=1, description="Most incidents listed in one digest.")
    digest_send_empty: bool = Field(
        False,
        description="Send scheduled digests that list no incident ('nothing new'), "
        "so subscribers know monitor is alive.",
    )


class DaemonSettings(_Section):
    """The long-running process."""

    tick: Duration = Field(timedelta(seconds=15), description="How often due feeds are looked for.")
    dispatch_interval: Duration = Field(
        timedelta(seconds=10), description="How often the outbox is dispatched."
    )
    lease_ttl: Duration = Field(
        timedelta(minutes=5),
        description="How long a claimed feed or delivery stays with a process that died.",
    )
    claim_batch: int = Field(
        100,
        ge=1,
        description="Due feeds a process claims at a time; it claims again when they are done, "
        "so several processes share one cycle.",
    )
    stop_timeout: Duration = Field(
        timedelta(seconds=20),
        description="On SIGTERM/SIGINT, how long in-flight polls and sends may run before they "
        "are abandoned (their leases are released or expire; nothing is half-written).",
    )
    housekeeping_interval: Duration = Field(
        timedelta(hours=1), description="How often old items are purged (see retention)."
    )
    health_host: str = Field(
        "127.0.0.1",
        description="Address of the health/metrics server (0.0.0.0 in a container). "
        "Env: MONITOR_HEALTH_HOST.",
    )
    health_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Port of /healthz and /metrics; unset: no server. Env: MONITOR_HEALTH_PORT.",
    )
    stale_after: Duration = Field(
        timedelta(minutes=5),
        description="/healthz fails when the scheduler has not completed a poll cycle for this "
        "long (at least three ticks).",
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="Log lines as text or JSON. Env: MONITOR_LOG_FORMAT."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Least important level logged. Env: MONITOR_LOG_LEVEL."
    )
    retention: Duration | None = Field(
        timedelta(days=180),
        description="Items stored longer ago than this that belong to no incident are deleted; "
        "0 keeps them forever.",
    )


class Settings(_Section):
    """The whole configuration."""

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    polling: PollingSettings = Field(default_factory=PollingSettings)
    feeds: list[FeedConfig] = Field(default_factory=list)
    watch: list[WatchRule] = Field(default_factory=list)
    channels: list[ChannelConfig] = Field(default_factory=list)
    subscriptions: list[SubscriptionConfig] = Field(default_factory=list)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    daemon: DaemonSettings = Field(default_factory=DaemonSettings)

    @model_validator(mode="after")
    def _cross_references(self) -> Settings:
        for kind, names in (
            ("feeds", [f.name for f in self.feeds]),
            ("watch", [w.name for w in self.watch]),
            ("channels", [c.name for c in self.channels]),
            ("subscriptions", [s.name for s in self.subscriptions]),
        ):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{kind}: duplicate name(s) {dupes}")
        channels = {c.name for c in self.effective_channels()}
        rules = {w.name for w in self.watch}
        for sub in self.subscriptions:
            if sub.channel not in channels:
                raise ValueError(
                    f"subscriptions '{sub.name}': unknown channel {sub.channel!r} "
                    f"(known: {sorted(channels)})"
                )
            unknown = [r for r in sub.rules if r != "*" and r not in rules]
            if unknown:
                raise ValueError(f"subscriptions '{sub.name}': unknown watch rule(s) {unknown}")
        return self

    def effective_channels(self) -> list[ChannelConfig]:
        """The configured channels, or console + ``var/outbox`` files when none is."""
        if self.channels:
            return list(self.channels)
        return [
            ChannelConfig(name="console", type="console"),
            ChannelConfig(name="outbox", type="file"),
        ]

    def effective_subscriptions(self) -> list[SubscriptionConfig]:
        """The configured subscriptions, or immediate alerts of every rule to the defaults."""
        if self.subscriptions:
            return list(self.subscriptions)
        return [
            SubscriptionConfig(name=c.name, channel=c.name, mode="immediate")
            for c in self.effective_channels()
        ]


#: Environment variables that override a setting: name -> (section, key).
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "MONITOR_DATABASE_URL": ("database", "url"),
    "MONITOR_LOG_FORMAT": ("daemon", "log_format"),
    "MONITOR_LOG_LEVEL": ("daemon", "log_level"),
    "MONITOR_HEALTH_PORT": ("daemon", "health_port"),
    "MONITOR_HEALTH_HOST": ("daemon", "health_host"),
    "MONITOR_SMTP_HOST": ("smtp", "host"),
    "MONITOR_SMTP_PORT": ("smtp", "port"),
    "MONITOR_SMTP_USERNAME": ("smtp", "username"),
    "MONITOR_ALLOW_PRIVATE_NETWORKS": ("fetch", "allow_private_networks"),
}


def find_config_path(explicit: str | Path | None = None) -> Path | None:
    """The config file to read: explicit, ``MONITOR_CONFIG``, ./config/monitor.toml, packaged."""
    if explicit:
        return Path(explicit)
    if env := os.environ.get("MONITOR_CONFIG"):
        return Path(env)
    if DEFAULT_CONFIG_PATH.is_file():
        return DEFAULT_CONFIG_PATH
    packaged = Path(__file__).with_name("_default_config.toml")
    if packaged.is_file():
        return packaged
    source_tree = Path(__file__).resolve().parent.parent / DEFAULT_CONFIG_PATH
    return source_tree if source_tree.is_file() else None


def load_settings(
    path: str | Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Read, override from the environment, and validate the configuration.

    Raises :class:`ConfigError` naming the file, the key and the problem.
    """
    env = dict(os.environ) if environ is None else environ
    config_path = find_config_path(path)
    data: dict[str, Any] = {}
    if config_path is not None:
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"{config_path}: no such configuration file") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path}: not valid TOML: {exc}") from exc
    for var, (section, key) in ENV_OVERRIDES.items():
        if env.get(var):
            data.setdefault(section, {})[key] = env[var]
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, config_path)) from exc


def _describe(exc: ValidationError, path: Path | None) -> str:
    where = str(path) if path else "configuration"
    lines = [f"{where}: {exc.error_count()} problem(s)"]
    for err in exc.errors():
        loc = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"])
        loc = loc.replace(".[", "[")
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see `monitor config reference`)"
        lines.append(f"  {loc or '(top level)'}: {message}")
    return "\n".join(lines)


def read_secret(
    env_var: str | None, file: str | None, environ: dict[str, str] | None = None
) -> str | None:
    """A secret from its environment variable, else its file; ``None`` when neither is set."""
    env = os.environ if environ is None else environ
    if env_var and env.get(env_var):
        return env[env_var]
    if file:
        try:
            return Path(file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"secret file {file}: {exc.strerror}") from exc
    return None


def reference_markdown() -> str:
    """The configuration reference, generated from the declarations above."""
    sections: list[tuple[str, type[BaseModel], bool]] = [
        ("database", DatabaseSettings, False),
        ("fetch", FetchSettings, False),
        ("polling", PollingSettings, False),
        ("feeds", FeedConfig, True),
        ("watch", WatchRule, True),
        ("watch.sites", SiteConfig, True),
        ("channels", ChannelConfig, True),
        ("subscriptions", SubscriptionConfig, True),
        ("smtp", SmtpSettings, False),
        ("alerts", AlertSettings, False),
        ("daemon", DaemonSettings, False),
    ]
    out: list[str] = []
    for name, model, is_list in sections:
        header = f"[[{name}]]" if is_list else f"[{name}]"
        out.append(f"#### `{header}`\n\n{(model.__doc__ or '').strip().splitlines()[0]}\n")
        out.append("| key | default | meaning |\n| --- | --- | --- |")
        for key, info in model.model_fields.items():
            out.append(f"| `{key}` | {_default_text(info)} | {info.description or ''} |")
        out.append("")
    return "\n".join(out)


def _default_text(info: Any) -> str:
    if info.is_required():
        return "required"
    default = info.get_default(call_default_factory=True)
    if isinstance(default, timedelta):
        seconds = int(default.total_seconds())
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds and seconds % size == 0:
                return f"`{seconds // size}{unit}`"
        return f"`{seconds}s`"
    if isinstance(default, BaseModel):
        return "(section)"
    return f"`{default!r}`".replace("'", '"') if default not in (None, []) else "—"
