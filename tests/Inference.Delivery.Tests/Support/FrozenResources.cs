using System.Text.Json.Nodes;

namespace Inference.Delivery.Tests.Support;

/// <summary>
/// What CloudFormation must leave alone once CodeDeploy has released, worked out from the templates themselves so that
/// a renamed listener or a new reference is caught: <see cref="Unchangeable"/> resources CodeDeploy changes behind the
/// stack's back (any stack update could put them back), <see cref="Irreplaceable"/> resources a replacement would take
/// from under a release (the service, its task set's references, the target groups, the live alias's version), and the
/// <see cref="Parameters"/> whose new value would change either.
/// </summary>
public sealed record FrozenResources(IReadOnlySet<string> Unchangeable, IReadOnlySet<string> Irreplaceable, IReadOnlySet<string> Parameters)
{
    /// <summary>
    /// What UpdateService still accepts for a service with the CODE_DEPLOY deployment controller (ECS API reference,
    /// UpdateService); everything else of the service only a CodeDeploy deployment may change.
    /// </summary>
    public static readonly IReadOnlySet<string> CodeDeployServiceUpdatable = new HashSet<string>(StringComparer.Ordinal)
    {
        "DesiredCount", "DeploymentConfiguration", "HealthCheckGracePeriodSeconds", "PlacementConstraints", "PlacementStrategies",
        "EnableECSManagedTags", "EnableExecuteCommand", "PropagateTags", "Tags",
    };

    /// <summary>The properties of a Lambda alias CodeDeploy sets while it shifts traffic.</summary>
    public static readonly IReadOnlySet<string> CodeDeployAliasProperties = new HashSet<string>(StringComparer.Ordinal) { "FunctionVersion", "RoutingConfig" };

    /// <summary>
    /// ECS blue/green (deploy/infrastructure.yaml): CodeDeploy repoints the deployment group's listeners, switches its
    /// target groups and owns every property of the service that UpdateService refuses for CODE_DEPLOY.
    /// </summary>
    public static FrozenResources ForEcs(JsonObject template, CfnSpec spec)
    {
        var group = Resource(template, "AWS::CodeDeploy::DeploymentGroup");
        var pairs = group["LoadBalancerInfo"]!["TargetGroupPairInfoList"]!.AsArray();
        var listeners = pairs.SelectMany(p => new[] { p!["ProdTrafficRoute"], p["TestTrafficRoute"] })
            .SelectMany(route => CloudFormation.ReferencedNames(route!["ListenerArns"]));
        var targetGroups = pairs.SelectMany(p => CloudFormation.ReferencedNames(p!["TargetGroups"]));
        var services = group["ECSServices"]!.AsArray().SelectMany(s => CloudFormation.ReferencedNames(s!["ServiceName"])).ToArray();
        var owned = services.Select(s => (s, Properties(template, s).Where(p => !CodeDeployServiceUpdatable.Contains(p.Key))));
        return Close(template, spec, listeners, [.. targetGroups, .. services], owned);
    }

    /// <summary>Lambda canaries (deploy/lambda/template.yaml): CodeDeploy moves the alias the appspec names.</summary>
    public static FrozenResources ForLambda(JsonObject template, JsonObject appSpec, CfnSpec spec)
    {
        var alias = (string)appSpec["Resources"]![0]!.AsObject().Single().Value!["Properties"]!["Alias"]!;
        var moved = CloudFormation.Resources(template).Where(r => r.Type == "AWS::Lambda::Alias" && (string?)r.Properties["Name"] == alias).Select(r => r.Name).ToArray();
        var owned = moved.Select(a => (a, Properties(template, a).Where(p => CodeDeployAliasProperties.Contains(p.Key))));
        return Close(template, spec, moved, [], owned);
    }

    /// <summary>
    /// SageMaker (deploy/sagemaker/endpoint.yaml): each release puts its own endpoint configuration on the endpoint
    /// (deploy-sagemaker.yml), so a stack update that set the endpoint again would put the bootstrap one back.
    /// </summary>
    public static FrozenResources ForSageMaker(JsonObject template, CfnSpec spec)
    {
        var endpoints = CloudFormation.Resources(template).Where(r => r.Type == "AWS::SageMaker::Endpoint").Select(r => r.Name).ToArray();
        return Close(template, spec, endpoints, [], []);
    }

    private static FrozenResources Close(
        JsonObject template,
        CfnSpec spec,
        IEnumerable<string> unchangeable,
        IEnumerable<string> irreplaceable,
        IEnumerable<(string Resource, IEnumerable<KeyValuePair<string, JsonNode?>> Properties)> codeDeployOwned)
    {
        var parameters = CloudFormation.ParameterNames(template);
        var resources = template["Resources"]!.AsObject().Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
        var changeless = unchangeable.ToHashSet(StringComparer.Ordinal);
        var lasting = new HashSet<string>(StringComparer.Ordinal);
        var frozenParameters = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>();

        void Reach(IEnumerable<string> names)
        {
            foreach (var name in names)
            {
                if (parameters.Contains(name))
                {
                    frozenParameters.Add(name);
                }
                else if (resources.Contains(name) && lasting.Add(name))
                {
                    queue.Enqueue(name);
                }
            }
        }

        // Whatever an unchangeable resource refers to must keep its identity, and its own values must not change.
        foreach (var name in changeless)
        {
            Reach(CloudFormation.ReferencedNames(template["Resources"]![name]!["Properties"]));
        }

        Reach(irreplaceable);
        foreach (var (resource, properties) in codeDeployOwned)
        {
            Reach([resource]);
            Reach(properties.SelectMany(p => CloudFormation.ReferencedNames(p.Value)));
        }

        // A resource whose immutable property names another resource is replaced when that one is.
        while (queue.TryDequeue(out var name))
        {
            var body = template["Resources"]![name]!;
            Reach(spec.NamesThatReplace((string)body["Type"]!, body["Properties"] as JsonObject ?? []));
        }

        lasting.ExceptWith(changeless);
        return new FrozenResources(changeless, lasting, frozenParameters);
    }

    private static JsonObject Resource(JsonObject template, string type) =>
        CloudFormation.Resources(template).Single(r => r.Type == type).Properties;

    private static JsonObject Properties(JsonObject template, string resource) =>
        template["Resources"]![resource]!["Properties"] as JsonObject ?? [];
}
