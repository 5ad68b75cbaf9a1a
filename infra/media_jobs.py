"""The media job workflow: the FFmpeg function and the Step Functions state machine it serves.

    Probe -> Process -> Thumbnail -> Finalize          (each a task of the FFmpeg function)
      \\________\\___________\\__________\\___ any error -> RecordFailure -> JobFailed (Fail)

A generated video (`$.generation` in the execution's input) takes another way in:

    StartVideo -> WaitForVideo (Wait) -> PollVideo -> VideoReady? -> Thumbnail -> Finalize
                        ^_____________________________________| not yet

One Lambda function runs the FFmpeg steps (`functions.media.workers.job_steps.handler`, told which
by the task's payload), with the media group's code, the dependency layer and the FFmpeg layer.
StartVideo and PollVideo call the AI endpoint, whose openai layer does not fit beside FFmpeg: the
generation function (`functions.media.generation_app.handler`, the generation group's, with the
openai layer and the ffprobe layer built here) runs them through the same job steps. Lambda
service errors and `TransientError` (throttling, 5xx and connection failures the step saw) are
retried with backoff; everything else, `MediaRejected` included, goes straight to RecordFailure,
which records a message on the job (the user's own for `MediaRejected`, a generic one for the
rest) with its `media.job.failed` event.

An execution that ends without RecordFailure (timed out, stopped from outside, or RecordFailure
itself failing) is reconciled: an EventBridge rule on the default bus sends the machine's
"Step Functions Execution Status Change" events with status FAILED, TIMED_OUT or ABORTED to a
small function (`functions.media.workers.events.handler`), which fails the job if it is
still unfinished. The same function removes a deleted workspace's files: a rule on Herald's bus
sends it auth's `workspace.deleted`.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Size, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.config import HeraldConfig
from infra.foundation import ARCHITECTURE, RUNTIME, Foundation
from infra.function_group import OBJECT_READ_WRITE, FunctionGroupConstruct
from infra.herald_function import ALARM_PERIOD, AlarmedMetric, HeraldFunction
from infra.nag import acknowledge_wildcard
from layers.ffmpeg.build import build_ffmpeg_layer, build_ffprobe_layer, check_fits

STEPS_HANDLER = "functions.media.workers.job_steps.handler"
RECONCILER_HANDLER = "functions.media.workers.events.handler"
SERVICE_NAME = "herald-media-jobs"
# Execution statuses that end a job's workflow other than by success.
ENDED_STATUSES = ["FAILED", "TIMED_OUT", "ABORTED"]
# The steps read and write single items, in transactions too; they never query or delete.
STEP_TABLE_ACCESS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:ConditionCheckItem",
)
# Raised by a step for a failure worth another try (see functions/media/workers/job_steps.py).
TRANSIENT_ERRORS = ["TransientError", "Lambda.TooManyRequestsException"]
# Emitted by the steps for a job that failed through no fault of its input.
CRASH_METRIC = "MediaJobCrashes"
STATE_MACHINE_VARIABLE = "HERALD_MEDIA_JOBS_STATE_MACHINE_ARN"


class MediaJobs(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        media: FunctionGroupConstruct,
        generation: FunctionGroupConstruct,
        code_path: Path,
        dependencies_layer_path: Path,
        foundation: Foundation,
        config: HeraldConfig,
    ) -> None:
        """`media`: the media API, which starts and cancels jobs; `generation`: the generation
        function, which starts generated videos' jobs and runs their StartVideo and PollVideo
        steps; `code_path`: the media group's bundle, which holds the steps too;
        `dependencies_layer_path`: the built dependency layer (the FFmpeg and ffprobe layers are
        built here; the generation function's fit is checked where it gets the openai layer)."""
        super().__init__(scope, construct_id)
        self.state_machine_name = f"herald-{config.stage}-media-jobs"
        self.ffmpeg_layer_path = build_ffmpeg_layer()
        # Lambda refuses a function whose code and layers exceed 250 MB unzipped; fail here.
        check_fits(self.ffmpeg_layer_path, dependencies_layer_path, code_path)
        self.ffmpeg_layer = lambda_.LayerVersion(
            self,
            "FfmpegLayer",
            code=lambda_.Code.from_asset(str(self.ffmpeg_layer_path)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="Static ffmpeg and ffprobe under /opt/bin",
        )
        self.ffprobe_layer_path = build_ffprobe_layer()
        self.ffprobe_layer = lambda_.LayerVersion(
            self,
            "FfprobeLayer",
            code=lambda_.Code.from_asset(str(self.ffprobe_layer_path)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="Static ffprobe under /opt/bin (the FFmpeg layer's, without ffmpeg)",
        )
        self.generation = generation
        # `Default`: CDK leaves it out of logical ids, so the steps' resources are named as if
        # they were this construct's own (a new id would replace the function and its log group).
        self.steps = HeraldFunction(
            self,
            "Default",
            title="Herald media jobs function",
            description="Herald media jobs: the FFmpeg steps of the media job workflow",
            handler=STEPS_HANDLER,
            code_path=code_path,
            foundation=foundation,
            service_name=SERVICE_NAME,
            # The media group's settings: the steps are the same group's code.
            environment=media.environment,
            layers=[self.ffmpeg_layer],
            # FFmpeg encodes with as many threads as there are vCPUs, and Lambda gives about two
            # vCPUs at this size; /tmp holds the inputs and the output of one step.
            memory_mb=3008,
            tmp=Size.gibibytes(10),
            timeout=Duration.minutes(15),
            failures=AlarmedMetric(
                "Crashes",
                cloudwatch.Metric(
                    namespace="Herald",
                    metric_name=CRASH_METRIC,
                    dimensions_map={"service": SERVICE_NAME},
                    statistic=cloudwatch.Stats.SUM,
                    period=ALARM_PERIOD,
                ),
                "A media job failed for a reason other than its input (see the function's log).",
            ),
        )
        self._allow_steps(foundation)
        self.state_machine = self._state_machine(config)
        self._allow_jobs_from(media)
        self._allow_generated_jobs_from(generation)
        self.reconciler = self._reconciler(media, code_path, foundation)
        self.ended_execution_rule = self._ended_execution_rule(foundation)
        self.workspace_deleted_rule = self._workspace_deleted_rule(foundation)

    def _allow_steps(self, foundation: Foundation) -> None:
        self.steps.allow(STEP_TABLE_ACCESS, foundation.app_table.table_arn)
        objects = foundation.media_bucket.arn_for_objects("workspaces/*")
        self.steps.allow(OBJECT_READ_WRITE, objects)
        acknowledge_wildcard(
            self.steps.role,
            objects,
            "Objects under the `workspaces/` key prefix of the media bucket only: a job reads "
            "its workspace's inputs and writes its output, both keyed by workspace and asset.",
        )

    def _step(
        self, name: str, step: str, runner: HeraldFunction | None = None
    ) -> tasks.LambdaInvoke:
        """The task invoking `runner` (the FFmpeg function unless given) for `step`."""
        task = tasks.LambdaInvoke(
            self,
            name,
            lambda_function=(runner or self.steps).function,
            payload=sfn.TaskInput.from_object({"step": step, "job": sfn.JsonPath.entire_payload}),
            # The step's return value is the next state's input (the job's running record).
            payload_response_only=True,
        )
        task.add_retry(
            errors=TRANSIENT_ERRORS,
            interval=Duration.seconds(2),
            max_attempts=3,
            backoff_rate=2,
        )
        return task

    def _state_machine(self, config: HeraldConfig) -> sfn.StateMachine:
        record_failure = self._step("RecordFailure", "record_failure").next(
            sfn.Fail(
                self,
                "JobFailed",
                error="MediaJobFailed",
                cause="The job failed; its error is recorded on the job item.",
            )
        )
        steps = [
            self._step(name, step)
            for name, step in (
                ("Probe", "probe"),
                ("Process", "process"),
                ("Thumbnail", "thumbnail"),
                ("Finalize", "finalize"),
            )
        ]
        chain = sfn.Chain.start(steps[0])
        for task in steps:
            if task is not steps[0]:
                chain = chain.next(task)
        thumbnail = steps[2]
        # A generated video: the endpoint renders it while a Wait state, not a Lambda, waits.
        start_video = self._step("StartVideo", "start_video", self.generation)
        poll_video = self._step("PollVideo", "poll_video", self.generation)
        wait = sfn.Wait(
            self,
            "WaitForVideo",
            time=sfn.WaitTime.seconds_path("$.generation.poll_seconds"),
        )
        video_ready = (
            sfn.Choice(self, "VideoReady")
            .when(sfn.Condition.is_not_null("$.output"), thumbnail)
            .otherwise(wait)
        )
        start_video.next(wait).next(poll_video).next(video_ready)
        for task in [*steps, start_video, poll_video]:
            # `$.error` keeps the failed step's input (workspace, job, what was made so far).
            task.add_catch(record_failure, errors=["States.ALL"], result_path="$.error")
        which_job = (
            sfn.Choice(self, "WhichJob")
            .when(sfn.Condition.is_present("$.generation"), start_video)
            .otherwise(chain)
        )

        self.execution_log_group = logs.LogGroup(
            self,
            "ExecutionLogGroup",
            # Step Functions' recommended prefix: its log delivery policy covers it already.
            log_group_name=f"/aws/vendedlogs/states/herald-{config.stage}-media-jobs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.state_machine_role = iam.Role(
            self,
            "StateMachineRole",
            description="Herald media job workflow",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
        )
        state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            # Named, so that the grant to stop its executions can name them (executions_arn).
            state_machine_name=self.state_machine_name,
            comment="Herald media job: probe, process, thumbnail, finalize; or a generated "
            "video: start, wait and poll, thumbnail, finalize",
            definition_body=sfn.DefinitionBody.from_chainable(which_job),
            state_machine_type=sfn.StateMachineType.STANDARD,
            role=self.state_machine_role,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.execution_log_group,
                level=sfn.LogLevel.ALL,
                # States carry ids, keys and probe figures, never file contents or secrets.
                include_execution_data=True,
            ),
        )
        acknowledge_wildcard(
            self.state_machine_role,
            f"{self.steps.function.function_arn}:*",
            "Invokes the media job steps function only; the `:*` form covers its versions and "
            "aliases, which is how Step Functions names a function it invokes.",
        )
        acknowledge_wildcard(
            self.state_machine_role,
            f"{self.generation.function.function_arn}:*",
            "Invokes the generation function only, for the StartVideo and PollVideo steps; the "
            "`:*` form covers its versions and aliases, as for the steps function.",
        )
        acknowledge_wildcard(
            self.state_machine_role,
            "*",
            "CloudWatch Logs delivery (CreateLogDelivery and the other vended-log actions) and "
            "X-Ray tracing support no resource-level permissions.",
        )
        return state_machine

    def _reconciler(
        self, media: FunctionGroupConstruct, code_path: Path, foundation: Foundation
    ) -> HeraldFunction:
        reconciler = HeraldFunction(
            self,
            "ExecutionReconciler",
            title="Herald media job reconciler",
            description="Herald media events: fails a job whose execution ended without it, "
            "removes a deleted workspace's files",
            handler=RECONCILER_HANDLER,
            code_path=code_path,
            foundation=foundation,
            service_name=f"{SERVICE_NAME}-reconciler",
            environment=media.environment,
            memory_mb=256,
            timeout=Duration.seconds(30),
        )
        # Reads the job and ends it conditionally, with its failure's outbox item (a put).
        reconciler.allow(
            ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
            foundation.app_table.table_arn,
        )
        # A deleted workspace's files: listed by prefix, deleted in batches.
        workspace_objects = foundation.media_bucket.arn_for_objects("workspaces/*")
        reconciler.allow(("s3:DeleteObject",), workspace_objects)
        reconciler.allow(
            ("s3:ListBucket",),
            foundation.media_bucket.bucket_arn,
            conditions={"StringLike": {"s3:prefix": ["workspaces/*"]}},
        )
        acknowledge_wildcard(
            reconciler.role,
            workspace_objects,
            "Deletes objects under the `workspaces/` key prefix only: a deleted workspace's "
            "files, whose keys are known only by listing its prefix.",
        )
        return reconciler

    def _ended_execution_rule(self, foundation: Foundation) -> events.Rule:
        """Step Functions sends its status changes to the default bus, not Herald's own."""
        rule = events.Rule(
            self,
            "ExecutionEndedRule",
            description="A media job execution failed, timed out or was stopped",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={
                    "status": ENDED_STATUSES,
                    "stateMachineArn": [self.state_machine.state_machine_arn],
                },
            ),
        )
        return self._to_events_function(rule, foundation)

    def _workspace_deleted_rule(self, foundation: Foundation) -> events.Rule:
        rule = events.Rule(
            self,
            "WorkspaceDeletedRule",
            description="A workspace was deleted: remove its media files",
            event_bus=foundation.event_bus,
            event_pattern=events.EventPattern(
                source=["herald.auth"], detail_type=["workspace.deleted"]
            ),
        )
        return self._to_events_function(rule, foundation)

    def _to_events_function(self, rule: events.Rule, foundation: Foundation) -> events.Rule:
        """The event itself, retried 3 times, then into the async dead-letter queue."""
        rule.add_target(
            targets.LambdaFunction(
                self.reconciler.function,
                retry_attempts=3,
                dead_letter_queue=foundation.async_dlq,
            )
        )
        return rule

    def _allow_jobs_from(self, api: FunctionGroupConstruct) -> None:
        """The media API starts jobs and cancels them; it learns the machine from its env."""
        self.state_machine.grant_start_execution(api.role)
        api.allow(("states:StopExecution",), self.executions_arn)
        acknowledge_wildcard(
            api.role,
            self.executions_arn,
            "Stops executions of the media job state machine only; each is named after its "
            "job, so their names are not known in advance.",
        )
        api.function.add_environment(STATE_MACHINE_VARIABLE, self.state_machine.state_machine_arn)

    def _allow_generated_jobs_from(self, generation: FunctionGroupConstruct) -> None:
        """The generation function starts a generated video's job; it never cancels one (the
        media API does); its video steps need nothing beyond the generation group's grants.

        The machine invokes it, so it names the machine by its ARN built from the name: a
        reference to the machine would make each wait for the other (a dependency cycle)."""
        generation.allow(("states:StartExecution",), self.named_state_machine_arn)
        generation.function.add_environment(STATE_MACHINE_VARIABLE, self.named_state_machine_arn)

    @property
    def named_state_machine_arn(self) -> str:
        """`arn:...:stateMachine:<state machine name>`: the machine, without referring to it."""
        return Stack.of(self).format_arn(
            service="states",
            resource="stateMachine",
            resource_name=self.state_machine_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    @property
    def executions_arn(self) -> str:
        """`arn:...:execution:<state machine name>:*`: every execution of the machine."""
        return Stack.of(self).format_arn(
            service="states",
            resource="execution",
            resource_name=f"{self.state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
