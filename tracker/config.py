"""Default settings. Override in instance/config.py or with TRACKER_* environment variables.

Every setting the code reads is declared here with its default, and has a row in the README's
configuration table (tests/test_config.py checks both).
"""

import os


class DefaultConfig:
    """Defaults for a single-machine install on SQLite."""

    # TRACKER_DATABASE_URL, e.g. postgresql+psycopg://user@host/db; default: instance/tracker.db
    DATABASE_URL = None
    # None: generated into instance/secret_key on first run.
    SECRET_KEY = None
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")
    EVENTS_PER_PAGE = 20
    # Entries per page of a directory (organisations, locations, people, categories, campaigns).
    DIRECTORY_ENTRIES_PER_PAGE = 50
    # Events shown per day in the home page's month grid before "还有 N 项".
    CALENDAR_EVENTS_PER_DAY = 3
    # Length of the home page's "即将开展" list (a link leads to the full list).
    UPCOMING_EVENTS_SHOWN = 8
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Public base URL for links in feeds when requests arrive through a proxy; None: from request.
    PUBLIC_BASE_URL = None
    # Largest request body; the import upload has FEEDS_IMPORT_MAX_BYTES instead.
    MAX_CONTENT_LENGTH = 1024 * 1024
    # Most fields a form post may carry (the event form at its row caps needs about 6,600),
    # and most bytes of form text held in memory.
    MAX_FORM_PARTS = 8000
    MAX_FORM_MEMORY_SIZE = 1024 * 1024
    # HSTS lifetime sent on HTTPS answers (one year).
    HSTS_MAX_AGE = 365 * 24 * 3600
    # Retry-After of the 503 answer while the database cannot be reached.
    RETRY_AFTER_SECONDS = 60
    # Largest iCalendar file the import upload accepts (the command line takes any size).
    FEEDS_IMPORT_MAX_BYTES = 4 * 1024 * 1024
    # Uploads larger than this are checked and imported as background jobs (progress page),
    # so no request waits on a big file.
    FEEDS_IMPORT_BACKGROUND_BYTES = 256 * 1024
    # Number of reverse proxies in front (nginx: 1); their X-Forwarded-* headers are then trusted,
    # so sign-in throttling sees the client's address and links use the public scheme and host.
    TRUSTED_PROXIES = 0

    # werkzeug's generate_password_hash method; checking a password reads the method from the
    # stored hash, so a change of method or cost keeps existing passwords valid.
    PASSWORD_HASH_METHOD = "scrypt:32768:8:1"  # noqa: S105 (a method name, not a password)
    PASSWORD_MIN_LENGTH = 8
    # Sessions end SESSION_IDLE_MINUTES after the last request or SESSION_LIFETIME_HOURS after
    # signing in, whichever comes first; a form's CSRF token lives no longer than a session (and
    # is replaced at every sign-in and sign-out).
    SESSION_IDLE_MINUTES = 60
    SESSION_LIFETIME_HOURS = 12
    WTF_CSRF_TIME_LIMIT = SESSION_LIFETIME_HOURS * 3600
    # Sign-in throttling. Per (account, address): SIGN_IN_FREE_FAILURES wrong passwords, then
    # each further attempt waits twice as long as the one before (2 s, 4 s, 8 s …) up to
    # SIGN_IN_MAX_DELAY_SECONDS; failures are forgotten SIGN_IN_WINDOW_MINUTES after the last.
    # Per address (an office behind one NAT shares one): SIGN_IN_MAX_FAILURES_PER_ADDRESS wrong
    # passwords within SIGN_IN_WINDOW_MINUTES, whatever the account.
    SIGN_IN_WINDOW_MINUTES = 15
    SIGN_IN_FREE_FAILURES = 5
    SIGN_IN_MAX_DELAY_SECONDS = 900
    SIGN_IN_MAX_FAILURES_PER_ADDRESS = 200

    # Most occurrences of recurring events one page expands (month grid, lists); a rule that
    # repeats more often in the window shows its first ones only.
    RECURRENCE_MAX_OCCURRENCES = 5000

    # Rendered feeds kept in each worker, bounded by number and by total size.
    FEEDS_CACHE_ENTRIES = 32
    FEEDS_CACHE_MAX_BYTES = 128 * 1024 * 1024
    # gzip level (1 fastest … 9 smallest) of the copy kept beside each rendered feed.
    FEEDS_GZIP_LEVEL = 6

    # PostgreSQL client programs for `backup create` and `backup restore` (a name looked up in
    # PATH, or a full path); their major version must not be older than the server's.
    PG_DUMP_PATH = "pg_dump"
    PG_RESTORE_PATH = "pg_restore"

    # Background jobs (big imports, yearly ledgers): "rq" queues them for RQ workers
    # (`flask --app wsgi worker`), "thread" runs them in a thread of the web process, "inline"
    # inside the request that starts them (tests, the command line); None: "rq" when REDIS_URL
    # is set, else "thread". Their progress records and results live in Redis when REDIS_URL
    # is set, else in JOBS_FOLDER (default: instance/jobs), for JOBS_KEEP_HOURS; a job silent
    # for JOBS_STALE_MINUTES is shown as interrupted.
    JOBS_MODE = None
    JOBS_FOLDER = None
    JOBS_KEEP_HOURS = 24
    JOBS_STALE_MINUTES = 10

    # Event photos and attachments. Files live in UPLOADS_FOLDER (default: instance/uploads)
    # under content addresses. A photo upload's request may carry PHOTOS_MAX_UPLOAD_BYTES (the
    # other pages keep MAX_CONTENT_LENGTH), each photo PHOTOS_MAX_FILE_BYTES and at most
    # PHOTOS_MAX_PIXELS pixels (Pillow's decompression-bomb limit, set from this); photos are
    # stored at most PHOTOS_MAX_SIDE pixels wide and high, with PHOTOS_THUMBNAIL_SIDE
    # thumbnails (the gallery's, and the ledger's pictures: 7.4 cm wide, about 220 dpi).
    UPLOADS_FOLDER = None
    PHOTOS_MAX_UPLOAD_BYTES = 64 * 1024 * 1024
    PHOTOS_MAX_FILE_BYTES = 20 * 1024 * 1024
    PHOTOS_MAX_FILES_PER_UPLOAD = 12
    PHOTOS_MAX_PER_EVENT = 60
    PHOTOS_MAX_PIXELS = 60_000_000
    PHOTOS_MAX_SIDE = 2048
    PHOTOS_THUMBNAIL_SIDE = 640
    ATTACHMENTS_MAX_FILE_BYTES = 20 * 1024 * 1024
    ATTACHMENTS_MAX_PER_EVENT = 20
    # Most activities one annual ledger (活动台账汇编) may bind.
    LEDGER_MAX_EVENTS = 1000
    # Sign-in QR (扫码签到): the code on the screen changes every CHECKIN_TOKEN_PERIOD_SECONDS
    # and is accepted for two periods; a phone that scanned a valid code may take
    # CHECKIN_FORM_MINUTES to type its name. Signing in is open from
    # CHECKIN_OPENS_MINUTES_BEFORE the start to CHECKIN_CLOSES_MINUTES_AFTER the end. The
    # phones' page takes at most CHECKIN_MAX_ATTEMPTS_PER_ADDRESS posts a minute from one
    # address (a whole meeting room behind one Wi-Fi shares one) and
    # CHECKIN_MAX_ATTEMPTS_PER_EVENT a minute for one event; the screen lists the
    # CHECKIN_LATEST_NAMES latest sign-ins.
    CHECKIN_TOKEN_PERIOD_SECONDS = 30
    CHECKIN_FORM_MINUTES = 10
    CHECKIN_OPENS_MINUTES_BEFORE = 60
    CHECKIN_CLOSES_MINUTES_AFTER = 60
    CHECKIN_MAX_ATTEMPTS_PER_ADDRESS = 300
    CHECKIN_MAX_ATTEMPTS_PER_EVENT = 2000
    CHECKIN_LATEST_NAMES = 8
    # Roster imports (.xlsx or .csv): the largest file (below MAX_CONTENT_LENGTH, which bounds
    # the whole upload) and the most people in one file.
    ROSTER_MAX_BYTES = 512 * 1024
    ROSTER_MAX_ROWS = 2000
    # Redis (redis://host:port/db) shared by every worker and machine: rendered feeds,
    # statistics and anonymous pages, job records and the RQ job queue. None: caches stay in
    # each process, job records in JOBS_FOLDER, jobs in threads.
    REDIS_URL = None
    # Longest wait for one Redis command before the cache answers "not cached".
    REDIS_TIMEOUT_SECONDS = 2.0
    # Lifetime of a cached result in Redis; results of older data versions expire after it.
    CACHE_REDIS_SECONDS = 24 * 3600
    # Pages for anonymous readers (home, lists, event pages, statistics, directories) are kept
    # per data version, and for at most this many seconds ("upcoming" moves with time); 0: off.
    PAGE_CACHE_SECONDS = 60
    # Bearer token that opens /metrics to other machines (a Prometheus server); None: loopback
    # addresses only.
    METRICS_TOKEN = None

    # Page cache per SQLite connection: 64 MiB, a ten-thousand-event tracker several times over.
    SQLITE_CACHE_KIB = 65536


def instance_database_url(instance_path: str) -> str:
    """The default SQLite database inside the instance folder."""
    return "sqlite:///" + os.path.join(instance_path, "tracker.db")
