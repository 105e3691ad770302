"""Saved playground runs. The simulation's whole state lives in one JSON column."""

from django.db import models

from lessons.models import Learner


class PlaygroundRun(models.Model):
    """A learner's simulation of one scenario, saved so reloads and restarts resume it."""

    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="runs")
    scenario = models.CharField(max_length=40)
    state = models.JSONField()  # Simulation.to_dict(): schema-versioned, restorable exactly
    # The channel of the socket (browser tab) running this simulation live, if any: a second
    # tab asks that one to save and step aside before it loads the run.
    live_channel = models.CharField(max_length=200, blank=True, default="")
    # Simulated time the live run had reached at its last clock mark (every few seconds, and
    # with every journalled command): a load advances the snapshot plus journal to it.
    reached = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "scenario"], name="one_run_per_scenario")
        ]

    def __str__(self) -> str:
        return f"{self.scenario} run of {self.learner_id}"


class SharedRun(models.Model):
    """A run someone shared: its scenario, seed and command log, replayable by anyone."""

    slug = models.SlugField(max_length=16, unique=True)
    scenario = models.CharField(max_length=40)
    seed = models.BigIntegerField()
    commands = models.JSONField()  # [[simulated time, command dict], ...]
    until = models.FloatField()  # simulated time the run had reached when shared
    # The state the replay gives, stored so that opening a share costs a load, not a replay of
    # possibly hours of simulated time. (Replay equals it: the engine is deterministic.)
    state = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"shared {self.scenario} run {self.slug}"


class ExperimentRun(models.Model):
    """One go at an experiment: the learner's committed prediction, then what the engine showed."""

    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="experiment_runs")
    experiment = models.CharField(max_length=60)
    prediction = models.CharField(max_length=40)  # an integer or a choice id, as committed
    seed = models.BigIntegerField()
    variation = models.BooleanField(default=False)  # the "change one knob" re-run
    state = models.JSONField(null=True, blank=True)  # the live simulation, saved like a run
    live_channel = models.CharField(max_length=200, blank=True, default="")  # as PlaygroundRun
    reached = models.FloatField(default=0.0)  # as PlaygroundRun
    result = models.CharField(max_length=40, blank=True)  # the engine's answer once decided
    result_text = models.CharField(max_length=200, blank=True)
    explanation = models.TextField(blank=True)
    correct = models.BooleanField(null=True)  # None until decided
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["learner", "experiment"])]

    def __str__(self) -> str:
        return f"{self.experiment} run {self.pk}"


class RunCommand(models.Model):
    """One accepted command of a live run, written before the page is told it is done.

    ``index`` is its position in the simulation's command log. A run's state is its last
    snapshot (``state``, which holds the log up to its own length) plus these rows beyond it,
    replayed exactly (the engine is deterministic); rows a snapshot holds may be deleted.
    """

    playground_run = models.ForeignKey(
        PlaygroundRun, null=True, blank=True, on_delete=models.CASCADE, related_name="journal"
    )
    experiment_run = models.ForeignKey(
        ExperimentRun, null=True, blank=True, on_delete=models.CASCADE, related_name="journal"
    )
    index = models.PositiveIntegerField()
    at = models.FloatField()  # simulated time the command was applied at
    command = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["playground_run", "index"], name="one_command_per_slot"
            ),
            models.UniqueConstraint(
                fields=["experiment_run", "index"], name="one_experiment_command_per_slot"
            ),
            models.CheckConstraint(
                condition=models.Q(playground_run__isnull=True)
                ^ models.Q(experiment_run__isnull=True),
                name="command_of_one_run",
            ),
        ]

    def __str__(self) -> str:
        return f"command {self.index} of {self.playground_run_id or self.experiment_run_id}"
