using System.Text.Json;
using System.Text.Json.Nodes;

namespace FaceMesh.Pipeline.Tests;

/// <summary>
/// Runs tools/chart-check/check once (helm lint --strict, helm template with the default, CPU-only, GPU and
/// external-Qdrant values, offline validation against the Kubernetes schemas) and reads what it rendered.
/// </summary>
public sealed class RenderedChart
{
    public static string Helm => Path.Combine(TestPaths.RepositoryRoot, "artifacts", "chart-tools", "helm", "helm");
    public static string Chart => Path.Combine(TestPaths.RepositoryRoot, "charts", "facemesh");

    public RenderedChart()
    {
        var (code, output) = Run(Path.Combine(TestPaths.RepositoryRoot, "tools", "chart-check", "check"));
        if (code != 0)
            throw new InvalidOperationException("tools/chart-check/check failed:\n" + output);
    }

    public static (int Code, string Output) Run(string program, params string[] arguments)
    {
        var (code, stdout, stderr) = TestProcess.Run(program, arguments);
        return (code, stdout + stderr);
    }

    public JsonArray Manifests(string values) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "artifacts", "chart", values + ".json")))!.AsArray();

    public IEnumerable<JsonNode> OfKind(string values, string kind) => Manifests(values).Where(m => (string?)m!["kind"] == kind)!;

    public JsonNode Named(string values, string kind, string name) => OfKind(values, kind).Single(m => (string?)m["metadata"]!["name"] == name);
}

public sealed class ChartTests(RenderedChart chart) : IClassFixture<RenderedChart>
{
    public static readonly TheoryData<string> ValueSets = new() { "default", "cpu-only", "gpu", "external-qdrant" };

    private static string[] Strings(JsonNode? array) => array?.AsArray().Select(n => (string)n!).ToArray() ?? [];

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Every_pod_runs_as_non_root_on_a_read_only_root_without_privilege_escalation(string values)
    {
        var deployments = chart.OfKind(values, "Deployment").ToArray();
        Assert.Equal(4, deployments.Length);
        foreach (var deployment in deployments)
        {
            var pod = deployment["spec"]!["template"]!["spec"]!;
            Assert.True((bool)pod["securityContext"]!["runAsNonRoot"]!);
            Assert.NotEqual(0, (int)pod["securityContext"]!["runAsUser"]!);
            Assert.False((bool)pod["automountServiceAccountToken"]!);
            var container = pod["containers"]![0]!;
            var security = container["securityContext"]!;
            Assert.True((bool)security["readOnlyRootFilesystem"]!);
            Assert.False((bool)security["allowPrivilegeEscalation"]!);
            Assert.False((bool)security["privileged"]!);
            Assert.Equal(["ALL"], Strings(security["capabilities"]!["drop"]));
            // Probes on the HTTP/1.1 port; a writable /tmp on an emptyDir.
            Assert.Equal(("/readyz", "http"), ((string)container["readinessProbe"]!["httpGet"]!["path"]!, (string)container["readinessProbe"]!["httpGet"]!["port"]!));
            Assert.Equal(("/healthz", "http"), ((string)container["livenessProbe"]!["httpGet"]!["path"]!, (string)container["livenessProbe"]!["httpGet"]!["port"]!));
            Assert.Contains(container["volumeMounts"]!.AsArray(), m => (string)m!["mountPath"]! == "/tmp");
            // Secrets come from secret references, never from literal values.
            var env = container["env"]!.AsArray();
            Assert.DoesNotContain(env, e => ((string)e!["name"]!).Contains("Password") && e["value"] is not null);
        }
    }

    [Theory]
    [InlineData("default", true)]
    [InlineData("gpu", true)]
    [InlineData("cpu-only", false)]
    public void The_embedder_goes_to_the_gpu_node_pool_unless_cpu_only(string values, bool gpu)
    {
        var pod = chart.Named(values, "Deployment", "facemesh-embedder")["spec"]!["template"]!["spec"]!;
        var limits = pod["containers"]![0]!["resources"]!["limits"]!.AsObject();
        if (gpu)
        {
            Assert.Equal(1, (int)limits["nvidia.com/gpu"]!);
            Assert.Equal("true", (string)pod["nodeSelector"]!["nvidia.com/gpu.present"]!);
            Assert.Contains(pod["tolerations"]!.AsArray(), t => (string)t!["key"]! == "nvidia.com/gpu" && (string)t["effect"]! == "NoSchedule");
        }
        else
        {
            Assert.False(limits.ContainsKey("nvidia.com/gpu"));
            Assert.Null(pod["nodeSelector"]);
        }
        // No other service asks for a GPU.
        foreach (var name in new[] { "facemesh-gateway", "facemesh-detector", "facemesh-matcher" })
            Assert.False(chart.Named(values, "Deployment", name)["spec"]!["template"]!["spec"]!["containers"]![0]!["resources"]!["limits"]!.AsObject().ContainsKey("nvidia.com/gpu"));
    }

    [Fact]
    public void Only_the_gateway_is_reachable_from_outside_and_the_others_only_from_the_gateway()
    {
        var policies = chart.OfKind("default", "NetworkPolicy").ToDictionary(p => (string)p["metadata"]!["name"]!);
        Assert.Equal(4, policies.Count);
        var gatewayRules = policies["facemesh-gateway"]["spec"]!["ingress"]!.AsArray();
        Assert.Null(gatewayRules[0]!["from"]); // anyone may call the Gateway (narrow it with networkPolicy.gatewayFrom)
        foreach (var name in new[] { "facemesh-detector", "facemesh-embedder", "facemesh-matcher" })
        {
            var rules = policies[name]["spec"]!["ingress"]!.AsArray();
            var grpc = rules.Single(r => r!["ports"]!.AsArray().Any(p => (string)p!["port"]! == "grpc"))!;
            var from = grpc["from"]!.AsArray().Single()!;
            Assert.Equal("gateway", (string)from["podSelector"]!["matchLabels"]!["app.kubernetes.io/component"]!);
            Assert.Null(from["namespaceSelector"]);
            // The only other door: /metrics on the HTTP port, for the monitoring namespace.
            var metrics = rules.Single(r => r != grpc)!;
            Assert.Equal(["http"], metrics["ports"]!.AsArray().Select(p => (string)p!["port"]!).ToArray());
            Assert.Equal("monitoring", (string)metrics["from"]![0]!["namespaceSelector"]!["matchLabels"]!["kubernetes.io/metadata.name"]!);
        }
    }

    [Fact]
    public void Dashboards_ship_as_configmaps_for_the_grafana_sidecar()
    {
        var dashboards = chart.OfKind("default", "ConfigMap").Where(c => (string?)c["metadata"]!["labels"]!["grafana_dashboard"] == "1").ToArray();
        Assert.Equal(4, dashboards.Length);
        int panels = dashboards.Sum(d => JsonDocument.Parse((string)d["data"]!.AsObject().Single().Value!).RootElement.GetProperty("panels").GetArrayLength());
        Assert.Equal(26, panels);
    }

    [Fact]
    public void The_external_qdrant_values_make_stateless_matchers_with_the_api_key_from_a_secret()
    {
        var matcher = chart.Named("external-qdrant", "Deployment", "facemesh-matcher")["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var env = matcher["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => e!);
        Assert.Equal("Qdrant", (string)env["Matcher__Store"]["value"]!);
        Assert.Equal("http://qdrant.vectors.svc:6334", (string)env["Matcher__Qdrant__Url"]["value"]!);
        Assert.Equal("facemesh-qdrant", (string)env["Matcher__Qdrant__ApiKey"]["valueFrom"]!["secretKeyRef"]!["name"]!);
        Assert.Empty(chart.OfKind("external-qdrant", "PersistentVolumeClaim"));
        Assert.Single(chart.OfKind("external-qdrant", "PrometheusRule"));
        Assert.Equal(4, chart.OfKind("external-qdrant", "ServiceMonitor").Count());
        Assert.Equal("http://otel-collector.observability.svc:4317", (string)chart.Named("external-qdrant", "Deployment", "facemesh-gateway")
            ["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray().Single(e => (string)e!["name"]! == "OTEL_EXPORTER_OTLP_ENDPOINT")!["value"]!);
        // The embedded store is one replica on its own volume, replaced (not rolled) on upgrade.
        var embedded = chart.Named("default", "Deployment", "facemesh-matcher")["spec"]!;
        Assert.Equal((1, "Recreate"), ((int)embedded["replicas"]!, (string)embedded["strategy"]!["type"]!));
    }

    private static Dictionary<string, JsonNode> Env(JsonNode container) => container["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => e!);

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Every_service_reads_the_fleet_token_and_the_gateway_its_api_keys_from_mounted_secrets(string values)
    {
        foreach (var deployment in chart.OfKind(values, "Deployment"))
        {
            var pod = deployment["spec"]!["template"]!["spec"]!;
            var container = pod["containers"]![0]!;
            var volumes = pod["volumes"]!.AsArray().ToDictionary(v => (string)v!["name"]!, v => v!);
            var mounts = container["volumeMounts"]!.AsArray().ToDictionary(m => (string)m!["name"]!, m => m!);
            Assert.Equal("facemesh-fleet-token", (string)volumes["fleet-token"]["secret"]!["secretName"]!);
            Assert.True((bool)mounts["fleet-token"]["readOnly"]!);
            Assert.Equal("/etc/facemesh/fleet/token", (string)Env(container)["Fleet__TokenFile"]["value"]!);
            bool gateway = (string)deployment["metadata"]!["name"]! == "facemesh-gateway";
            Assert.Equal(gateway, volumes.ContainsKey("api-keys")); // only the Gateway holds the API keys
            if (gateway)
            {
                Assert.Equal("facemesh-api-keys", (string)volumes["api-keys"]["secret"]!["secretName"]!);
                Assert.Equal("/etc/facemesh/api-keys", (string)mounts["api-keys"]["mountPath"]!);
                Assert.Equal("/etc/facemesh/api-keys/keys.json", (string)Env(container)["Gateway__Auth__ApiKeysFile"]["value"]!);
                Assert.Equal("50", (string)Env(container)["Gateway__Auth__RequestsPerSecond"]["value"]!);
                Assert.DoesNotContain("Gateway__Auth__AllowAnonymous", Env(container).Keys); // never anonymous on a cluster
            }
        }
    }

    [Fact]
    public void Jwt_and_tls_settings_reach_the_gateway_with_the_key_and_certificate_from_secrets()
    {
        var pod = chart.Named("external-qdrant", "Deployment", "facemesh-gateway")["spec"]!["template"]!["spec"]!;
        var env = Env(pod["containers"]![0]!);
        Assert.Equal("https://login.example.com/", (string)env["Gateway__Auth__Jwt__Issuer"]["value"]!);
        Assert.Equal("facemesh", (string)env["Gateway__Auth__Jwt__Audience"]["value"]!);
        Assert.Equal(("facemesh-jwt-public-key", "public.pem"), ((string)env["Gateway__Auth__Jwt__PublicKeysPem__0"]["valueFrom"]!["secretKeyRef"]!["name"]!,
            (string)env["Gateway__Auth__Jwt__PublicKeysPem__0"]["valueFrom"]!["secretKeyRef"]!["key"]!));
        Assert.Equal("/etc/facemesh/tls/tls.crt", (string)env["Endpoints__TlsCertificateFile"]["value"]!);
        Assert.Equal("facemesh-gateway-tls", (string)pod["volumes"]!.AsArray().Single(v => (string)v!["name"]! == "tls")!["secret"]!["secretName"]!);
        Assert.DoesNotContain("Gateway__Auth__Jwt__Issuer", Env(chart.Named("default", "Deployment", "facemesh-gateway")["spec"]!["template"]!["spec"]!["containers"]![0]!).Keys);
    }

    [Theory]
    [InlineData("embeder.replicas=2", "Additional property embeder is not allowed")]
    [InlineData("gateway.replicas=two", "gateway.replicas: Invalid type. Expected: integer, given: string")]
    [InlineData("matcher.store=Redis", "matcher.store")]
    [InlineData("securityContext.readOnlyRootFilesystem=false", "readOnlyRootFilesystem")]
    [InlineData("security.apiKeysSecret=", "security.apiKeysSecret")]
    [InlineData("matcher.autoscaling.enabled=true", "matcher.autoscaling.enabled")] // the embedded store: two writers on one volume
    [InlineData("matcher.replicas=2", "matcher.replicas")]
    public void The_values_schema_rejects_a_misspelled_or_wrongly_typed_value(string setting, string expected)
    {
        var (code, output) = RenderedChart.Run(RenderedChart.Helm, "template", "facemesh", RenderedChart.Chart, "--set", setting);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, output);
    }
}
