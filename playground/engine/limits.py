"""Every cap and bound of the engine, in one place.

Caps keep one simulation cheap enough that a classroom can run hundreds at once.
A command that would go over a cap is refused with a clear message.
"""

# Receivers and queues
MAX_RECEIVERS = 20
MAX_QUEUES = 5
MAX_NAME_LENGTH = 20

# Messages
MAX_MESSAGES_IN_SYSTEM = 10_000  # delayed + ready + in flight + waiting in a dead-letter queue
MAX_PUBLISHES_PER_SECOND = 50  # per simulated second, counting every publish
MAX_RATE = 50.0  # sender rate, messages per simulated second
MIN_RATE = 0.01  # a rate is 0 (stopped) or at least this: 1/rate must stay a finite interval
MAX_BURST = 50
MAX_TEXT_LENGTH = 120

# Receiver settings
MIN_MEAN_TIME = 0.01  # seconds of processing per message
MAX_MEAN_TIME = 60.0
MAX_PREFETCH = 100  # 0 means "no limit", like RabbitMQ's prefetch 0
RESTART_DELAY = 2.0  # a receiver that crashed restarts after this many seconds

# Broker knobs
MAX_DELIVERY_LIMIT = 1000  # SQS maxReceiveCount range is 1-1000
MAX_RETRY_DELAY = 600.0  # Pub/Sub's maximum backoff
MAX_BASE_DELAY = 60.0
MIN_VISIBILITY_TIMEOUT = 0.1  # shorter returns a message before anyone could work on it
MAX_VISIBILITY_TIMEOUT = 3600.0
MAX_DETECTION_DELAY = 300.0
MAX_QUEUE_LENGTH = 10_000

# The sender's side of backpressure (reject-publish: "503, retry later")
MAX_PUBLISH_RETRIES = 10  # retries of one refused publish before the sender gives up
MIN_PUBLISH_BACKOFF = 0.1
MAX_PUBLISH_BACKOFF = 30.0  # the first backoff; doubling stops at PUBLISH_BACKOFF_CAP
PUBLISH_BACKOFF_CAP = 30.0
MAX_PUBLISH_RETRIES_PENDING = 1_000  # refused messages a sender holds for retry at once
LOAD_WINDOW_SECONDS = 10  # the live load readouts (rates, Little's law) cover this window

# Time: TTL, retention, delay
MIN_MESSAGE_TTL = 0.1  # 0 = no TTL
MAX_MESSAGE_TTL = 86_400.0
MIN_RETENTION = 60.0  # SQS: 60 s to 14 days (0 here = kept until consumed)
MAX_RETENTION = 1_209_600.0
SQS_RETENTION = 345_600.0  # SQS's default retention period: 4 days
MAX_DELIVERY_DELAY = 900.0  # SQS: delay queues and message timers, up to 15 minutes

# Sync lane
MIN_SYNC_TIMEOUT = 0.1
MAX_SYNC_TIMEOUT = 60.0
MAX_SYNC_PENDING = 50  # calls waiting behind a blocked caller

# Time control
MIN_SPEED = 0.25
MAX_SPEED = 4.0
MAX_STEP = 60.0  # seconds one "step" command may advance (a pending step included)

# Event budget (cost isolation: one learner's run never holds a server's event loop for long).
# One scheduled event costs 2-9 microseconds (the most when every event is a failure, a
# requeue and a redelivery); 2,000 keep one call at or under about 20 ms on a slow core.
MAX_EVENTS_PER_TICK = 2_000  # what a live UI tick passes to ``Simulation.tick``
MAX_EVENTS_PER_COMMAND = 2_000  # what a ``step`` command does at once; ticks do the rest

# Bounded memory for long runs
MAX_COMMANDS = 5_000  # command log of one run (keeps share links replayable)
EVENT_LOG_KEPT = 5_000  # live event log keeps the most recent events only
FINISHED_MESSAGES_KEPT = 2_000  # acked/dropped/refused/lost messages kept for their life story
METRIC_BUCKET_SECONDS = 1.0
METRIC_BUCKETS_KEPT = 120
LATENCY_SAMPLES_KEPT = 1_000

# View
VIEW_CARDS_PER_QUEUE = 50
VIEW_DLQ_ENTRIES = 50
VIEW_HELD_CARDS = 4  # cards of what a receiver holds (the stage draws a few, then a count)
VIEW_RECENT_EVENTS = 30
VIEW_SYNC_CALLS = 20
