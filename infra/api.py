"""The public REST API: one regional API, one proxy route per function group prefix, behind WAF."""

from __future__ import annotations

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from functions.shared.groups import FunctionGroup
from infra.config import HeraldConfig
from infra.nag import acknowledge


class HeraldApi(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: HeraldConfig) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.rest_api = apigateway.RestApi(
            self,
            "RestApi",
            rest_api_name=f"herald-{config.stage}",
            description="Herald public API",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            # Execution and access logging need the account-level CloudWatch role.
            cloud_watch_role=True,
            deploy_options=apigateway.StageOptions(
                stage_name=config.stage,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                # Request and response bodies carry tokens and personal data: never log them.
                data_trace_enabled=False,
                throttling_rate_limit=config.api_rate_limit,
                throttling_burst_limit=config.api_burst_limit,
                access_log_destination=apigateway.LogGroupLogDestination(self.access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                ),
            ),
        )
        acknowledge(
            self.rest_api,
            "AwsSolutions-APIG2",
            "Every route is a Lambda proxy: FastAPI validates each body, path and query with "
            "pydantic and answers RFC 9457 problem details; an API Gateway model would duplicate "
            "that and drift from it.",
        )
        for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
            acknowledge(
                self.rest_api,
                rule,
                "Herald issues its own short-lived ES256/EdDSA JWTs and API keys, verified in "
                "every function (DESIGN section 3); some routes are public by design (sign-up, "
                "login, inbound platform webhooks verified by signature).",
            )
        acknowledge(
            self.rest_api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "This is API Gateway's account-level logging role, assumed only by "
            "apigateway.amazonaws.com; the AWS managed policy is the documented one, and API "
            "Gateway creates its execution log groups itself, so no narrower resource exists.",
        )
        # Where platforms send OAuth logins back (`<base>/v1/accounts/callback/<platform>`). Built
        # from the API's id, not from `rest_api.url`: that names the stage, which depends (through
        # the deployment and its methods) on the functions, and a function naming it would be a
        # dependency cycle. A custom domain (`apiBaseUrl`) replaces it.
        self.base_url = config.api_base_url or (
            f"https://{self.rest_api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"
            f"/{config.stage}"
        )
        self._web_acl(config)

    def route(self, group: FunctionGroup, function: lambda_.IFunction) -> None:
        """Send `<prefix>` and everything under it, any method, to the group's function."""
        # Test invocations from the console are not needed; skipping them halves the
        # permissions on each function's resource policy.
        integration = apigateway.LambdaIntegration(function, allow_test_invoke=False)
        for prefix in group.prefixes:
            resource = self.rest_api.root.resource_for_path(prefix.strip("/"))
            resource.add_method("ANY", integration)
            resource.add_proxy(default_integration=integration, any_method=True)

    def _web_acl(self, config: HeraldConfig) -> None:
        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True,
                metric_name=f"herald-{config.stage}-{name}",
                sampled_requests_enabled=True,
            )

        web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility("api"),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="rate-per-ip",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=config.waf_rate_limit, aggregate_key_type="IP"
                        )
                    ),
                    visibility_config=visibility("rate-per-ip"),
                ),
                wafv2.CfnWebACL.RuleProperty(
                    name="aws-common",
                    priority=1,
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS",
                            name="AWSManagedRulesCommonRuleSet",
                            # Platform webhook batches can exceed the rule set's 8 KB body
                            # limit; count those instead of blocking them.
                            rule_action_overrides=[
                                wafv2.CfnWebACL.RuleActionOverrideProperty(
                                    name="SizeRestrictions_BODY",
                                    action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={}),
                                )
                            ],
                        )
                    ),
                    visibility_config=visibility("aws-common"),
                ),
            ],
        )
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.rest_api.deployment_stage.stage_arn,
            web_acl_arn=web_acl.attr_arn,
        )
