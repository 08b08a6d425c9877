using System.Text.Json;
using System.Text.Json.Nodes;

namespace FaceMesh.SystemTests;

/// <summary>
/// Runs tools/chart-check/check once (helm lint --strict, helm template with the default values and every file of
/// charts/facemesh/values/, offline validation against the Kubernetes schemas, the README's parameter table) and
/// reads what it rendered; <see cref="Render"/> renders a variation the same way.
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

    /// <summary>Renders the chart with these helm template arguments (tools/chart-check/render: validated too) as
    /// artifacts/chart/NAME.json.</summary>
    public JsonArray Render(string name, params string[] arguments)
    {
        var (code, output) = Run(Path.Combine(TestPaths.RepositoryRoot, "tools", "chart-check", "render"), [name, .. arguments]);
        if (code != 0)
            throw new InvalidOperationException($"tools/chart-check/render {string.Join(' ', arguments)} failed:\n" + output);
        return Manifests(name);
    }

    public IEnumerable<JsonNode> OfKind(string values, string kind) => OfKind(Manifests(values), kind);

    public static IEnumerable<JsonNode> OfKind(JsonArray manifests, string kind) => manifests.Where(m => (string?)m!["kind"] == kind)!;

    public JsonNode Named(string values, string kind, string name) => Named(Manifests(values), kind, name);

    public static JsonNode Named(JsonArray manifests, string kind, string name) => OfKind(manifests, kind).Single(m => (string?)m["metadata"]!["name"] == name);

    /// <summary>The Deployments and the StatefulSet: every workload of a service.</summary>
    public IEnumerable<JsonNode> Workloads(string values) => Workloads(Manifests(values));

    public static IEnumerable<JsonNode> Workloads(JsonArray manifests) => OfKind(manifests, "Deployment").Concat(OfKind(manifests, "StatefulSet"));

    public JsonNode Workload(string values, string name) => Workload(Manifests(values), name);

    public static JsonNode Workload(JsonArray manifests, string name) => Workloads(manifests).Single(m => (string?)m["metadata"]!["name"] == name);
}

public sealed class ChartTests(RenderedChart chart) : IClassFixture<RenderedChart>
{
    public static readonly TheoryData<string> ValueSets = new() { "default", "cpu-only", "gpu", "external-qdrant", "operator" };

    private static readonly string[] Components = ["gateway", "detector", "embedder", "matcher"];

    private static string[] Strings(JsonNode? array) => array?.AsArray().Select(n => (string)n!).ToArray() ?? [];

    private static JsonNode PodSpec(JsonNode workload) => workload["spec"]!["template"]!["spec"]!;

    private static JsonNode Container(JsonNode workload) => PodSpec(workload)["containers"]![0]!;

    private static string Checksum(JsonNode workload) => (string)workload["spec"]!["template"]!["metadata"]!["annotations"]!["checksum/config"]!;

    private static Dictionary<string, string> Checksums(JsonArray manifests) =>
        Components.ToDictionary(c => c, c => Checksum(RenderedChart.Workload(manifests, "facemesh-" + c)));

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Every_pod_runs_as_the_images_user_on_a_read_only_root_without_privilege_escalation(string values)
    {
        var workloads = chart.Workloads(values).ToArray();
        Assert.Equal(4, workloads.Length);
        foreach (var workload in workloads)
        {
            var pod = PodSpec(workload);
            Assert.True((bool)pod["securityContext"]!["runAsNonRoot"]!);
            // deploy/docker/Dockerfile: USER 1654:1654; fsGroup gives the Matcher's volume to that group.
            Assert.Equal((1654, 1654, 1654), ((int)pod["securityContext"]!["runAsUser"]!, (int)pod["securityContext"]!["runAsGroup"]!, (int)pod["securityContext"]!["fsGroup"]!));
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
        var embedder = chart.Named(values, "Deployment", "facemesh-embedder");
        var pod = PodSpec(embedder);
        var limits = pod["containers"]![0]!["resources"]!["limits"]!.AsObject();
        if (gpu)
        {
            Assert.Equal(1, (int)limits["nvidia.com/gpu"]!);
            Assert.Contains(pod["tolerations"]!.AsArray(), t => (string)t!["key"]! == "nvidia.com/gpu" && (string)t["effect"]! == "NoSchedule");
            // The nvidia.com/gpu limit places the pod: no node label is assumed (values/gpu.yaml adds its own pool's).
            Assert.False(pod["nodeSelector"]?.AsObject().ContainsKey("nvidia.com/gpu.present") ?? false);
            // A GPU pool has no spare GPU for a surge pod.
            var strategy = embedder["spec"]!["strategy"]!;
            Assert.Equal(("RollingUpdate", 0, 1), ((string)strategy["type"]!, (int)strategy["rollingUpdate"]!["maxSurge"]!, (int)strategy["rollingUpdate"]!["maxUnavailable"]!));
        }
        else
        {
            Assert.False(limits.ContainsKey("nvidia.com/gpu"));
            Assert.Null(pod["nodeSelector"]);
            Assert.Null(pod["tolerations"]);
            Assert.Null(embedder["spec"]!["strategy"]);
        }
        // No other service asks for a GPU.
        foreach (var name in new[] { "facemesh-gateway", "facemesh-detector", "facemesh-matcher" })
            Assert.False(Container(chart.Workload(values, name))["resources"]!["limits"]!.AsObject().ContainsKey("nvidia.com/gpu"));
    }

    [Fact]
    public void The_gpu_values_place_the_embedder_on_their_own_pool()
    {
        var pod = PodSpec(chart.Named("gpu", "Deployment", "facemesh-embedder"));
        Assert.Equal("gpu", (string)pod["nodeSelector"]!["pool"]!);
        Assert.Single(pod["nodeSelector"]!.AsObject());
        Assert.Contains(pod["tolerations"]!.AsArray(), t => (string)t!["key"]! == "pool" && (string)t["value"]! == "gpu");
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
        // Each ConfigMap carries one file of charts/facemesh/dashboards as it is (DashboardTests checks the panels themselves).
        var files = Directory.GetFiles(Path.Combine(RenderedChart.Chart, "dashboards"), "*.json").ToDictionary(f => Path.GetFileName(f)!, f => File.ReadAllText(f));
        Assert.Equal(files.Keys.Order(), dashboards.Select(d => d["data"]!.AsObject().Single().Key).Order());
        foreach (var data in dashboards.Select(d => d["data"]!.AsObject().Single()))
        {
            var shipped = JsonDocument.Parse((string)data.Value!).RootElement;
            Assert.True(shipped.GetProperty("panels").GetArrayLength() > 0, data.Key);
            Assert.Equal(JsonNode.Parse(files[data.Key])!.ToJsonString(), JsonNode.Parse((string)data.Value!)!.ToJsonString());
        }
    }

    [Fact]
    public void The_external_qdrant_values_make_stateless_matchers_with_the_api_key_from_a_secret()
    {
        var matcher = Container(chart.Named("external-qdrant", "Deployment", "facemesh-matcher"));
        var env = matcher["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => e!);
        Assert.Equal("Qdrant", (string)env["Matcher__Store"]["value"]!);
        Assert.Equal("http://qdrant.vectors.svc:6334", (string)env["Matcher__Qdrant__Url"]["value"]!);
        Assert.Equal("facemesh-qdrant", (string)env["Matcher__Qdrant__ApiKey"]["valueFrom"]!["secretKeyRef"]!["name"]!);
        Assert.Empty(chart.OfKind("external-qdrant", "PersistentVolumeClaim"));
        Assert.Empty(chart.OfKind("external-qdrant", "StatefulSet"));
        Assert.DoesNotContain(matcher["volumeMounts"]!.AsArray(), m => (string)m!["name"]! == "data");
        Assert.Single(chart.OfKind("external-qdrant", "PrometheusRule"));
        Assert.Equal(4, chart.OfKind("external-qdrant", "ServiceMonitor").Count());
        Assert.Equal("http://otel-collector.observability.svc:4317", (string)Env(Container(chart.Named("external-qdrant", "Deployment", "facemesh-gateway")))["OTEL_EXPORTER_OTLP_ENDPOINT"]["value"]!);
        // Stateless Matchers scale: an autoscaler on the Deployment.
        var hpa = chart.Named("external-qdrant", "HorizontalPodAutoscaler", "facemesh-matcher")["spec"]!["scaleTargetRef"]!;
        Assert.Equal(("Deployment", "facemesh-matcher"), ((string)hpa["kind"]!, (string)hpa["name"]!));
    }

    private static Dictionary<string, JsonNode> Env(JsonNode container) => container["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => e!);

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Every_service_reads_the_fleet_token_and_the_gateway_its_api_keys_from_mounted_secrets(string values)
    {
        foreach (var workload in chart.Workloads(values))
        {
            var pod = PodSpec(workload);
            var container = pod["containers"]![0]!;
            var volumes = pod["volumes"]!.AsArray().ToDictionary(v => (string)v!["name"]!, v => v!);
            var mounts = container["volumeMounts"]!.AsArray().ToDictionary(m => (string)m!["name"]!, m => m!);
            Assert.Equal("facemesh-fleet-token", (string)volumes["fleet-token"]["secret"]!["secretName"]!);
            Assert.True((bool)mounts["fleet-token"]["readOnly"]!);
            Assert.Equal("/etc/facemesh/fleet/token", (string)Env(container)["Fleet__TokenFile"]["value"]!);
            bool gateway = (string)container["name"]! == "gateway";
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
        var pod = PodSpec(chart.Named("external-qdrant", "Deployment", "facemesh-gateway"));
        var env = Env(pod["containers"]![0]!);
        Assert.Equal("https://login.example.com/", (string)env["Gateway__Auth__Jwt__Issuer"]["value"]!);
        Assert.Equal("facemesh", (string)env["Gateway__Auth__Jwt__Audience"]["value"]!);
        Assert.Equal(("facemesh-jwt-public-key", "public.pem"), ((string)env["Gateway__Auth__Jwt__PublicKeysPem__0"]["valueFrom"]!["secretKeyRef"]!["name"]!,
            (string)env["Gateway__Auth__Jwt__PublicKeysPem__0"]["valueFrom"]!["secretKeyRef"]!["key"]!));
        Assert.Equal("/etc/facemesh/tls/tls.crt", (string)env["Endpoints__TlsCertificateFile"]["value"]!);
        Assert.Equal("facemesh-gateway-tls", (string)pod["volumes"]!.AsArray().Single(v => (string)v!["name"]! == "tls")!["secret"]!["secretName"]!);
        Assert.DoesNotContain("Gateway__Auth__Jwt__Issuer", Env(Container(chart.Named("default", "Deployment", "facemesh-gateway"))).Keys);
    }

    [Theory]
    [InlineData("embeder.replicas=2", "Additional property embeder is not allowed")]
    [InlineData("gateway.replicas=two", "gateway.replicas: Invalid type. Expected: integer, given: string")]
    [InlineData("matcher.store=Redis", "matcher.store")]
    [InlineData("securityContext.readOnlyRootFilesystem=false", "readOnlyRootFilesystem")]
    [InlineData("security.apiKeysSecret=", "security.apiKeysSecret")]
    [InlineData("matcher.autoscaling.enabled=true", "matcher.autoscaling.enabled")] // the embedded store: two writers on one volume
    [InlineData("matcher.replicas=2", "matcher.replicas")]
    [InlineData("detector.resources.limits.memory=1G", "detector.resources.limits.memory: Does not match pattern")] // Mi or Gi only
    [InlineData("gateway.podDisruptionBudget.maxUnavailable=0", "gateway.podDisruptionBudget.maxUnavailable")] // a drain would never finish
    [InlineData("gateway.settings.resolveIntervalSeconds=5", "gateway.settings.resolveIntervalSeconds: Must be greater than or equal to 15")] // the gRPC client's floor
    [InlineData("gateway.preStopSleepSeconds=40", "gateway.preStopSleepSeconds (40) must be shorter than gateway.terminationGracePeriodSeconds (40)")]
    public void The_values_schema_rejects_a_misspelled_or_wrongly_typed_value(string setting, string expected)
    {
        var (code, output) = RenderedChart.Run(RenderedChart.Helm, "template", "facemesh", RenderedChart.Chart, "--set", setting);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, output);
    }

    [Theory]
    [InlineData("matcher.autoscaling.enabled=true")]
    [InlineData("matcher.replicas=2")]
    public void Scaling_the_embedded_matcher_is_refused_saying_why_and_what_to_do_instead(string setting)
    {
        var (code, output) = RenderedChart.Run(RenderedChart.Helm, "template", "facemesh", RenderedChart.Chart, "--set", setting);
        Assert.NotEqual(0, code);
        Assert.Contains(setting + " with matcher.store=Embedded", output);
        Assert.Contains("a second writer on it", output);
        Assert.Contains("set matcher.store=Qdrant", output);
        // With the Qdrant store the same setting is a plain Deployment's.
        var (qdrant, _) = RenderedChart.Run(RenderedChart.Helm, "template", "facemesh", RenderedChart.Chart, "--set", setting,
            "--set", "matcher.store=Qdrant", "--set", "qdrant.url=http://qdrant:6334");
        Assert.Equal(0, qdrant);
    }

    [Fact]
    public void Liveness_is_off_by_default_and_a_liveness_pack_reaches_the_detector()
    {
        Assert.DoesNotContain("Detector__LivenessPack", Env(Container(chart.Named("default", "Deployment", "facemesh-detector"))).Keys);
        var live = chart.Render("variant-liveness", "--set", "detector.livenessPack=liveness-livenessnet");
        var env = Env(Container(RenderedChart.Named(live, "Deployment", "facemesh-detector")));
        Assert.Equal("/models/liveness-livenessnet", (string)env["Detector__LivenessPack"]["value"]!);
    }

    [Fact]
    public void The_internal_services_are_headless_and_the_gateway_dials_every_pod_by_dns()
    {
        foreach (var (name, grpc, http) in new[] { ("detector", 5010, 5011), ("embedder", 5020, 5021), ("matcher", 5030, 5031) })
        {
            var spec = chart.Named("default", "Service", "facemesh-" + name)["spec"]!;
            Assert.Equal("None", (string)spec["clusterIP"]!);
            var ports = spec["ports"]!.AsArray();
            Assert.Equal([("grpc", grpc), ("http", http)], ports.Select(p => ((string)p!["name"]!, (int)p["port"]!)).ToArray());
        }
        Assert.Null(chart.Named("default", "Service", "facemesh-gateway")["spec"]!["clusterIP"]); // the Gateway's callers get a virtual IP

        var env = Env(Container(chart.Named("default", "Deployment", "facemesh-gateway")));
        Assert.Equal("dns:///facemesh-detector.facemesh.svc.cluster.local:5010", (string)env["Gateway__DetectorAddress"]["value"]!);
        Assert.Equal("dns:///facemesh-embedder.facemesh.svc.cluster.local:5020", (string)env["Gateway__EmbedderAddress"]["value"]!);
        Assert.Equal("dns:///facemesh-matcher.facemesh.svc.cluster.local:5030", (string)env["Gateway__MatcherAddress"]["value"]!);
        Assert.Equal("15", (string)env["Gateway__ResolveIntervalSeconds"]["value"]!);

        var other = chart.Render("variant-cluster-domain", "--set", "clusterDomain=k8s.example.internal", "--set", "gateway.settings.resolveIntervalSeconds=30");
        var otherEnv = Env(Container(RenderedChart.Named(other, "Deployment", "facemesh-gateway")));
        Assert.Equal("dns:///facemesh-detector.facemesh.svc.k8s.example.internal:5010", (string)otherEnv["Gateway__DetectorAddress"]["value"]!);
        Assert.Equal("30", (string)otherEnv["Gateway__ResolveIntervalSeconds"]["value"]!);
    }

    [Fact]
    public void The_embedded_matcher_is_one_statefulset_pod_whose_claim_outlives_the_release()
    {
        var statefulSet = chart.Named("default", "StatefulSet", "facemesh-matcher");
        var spec = statefulSet["spec"]!;
        Assert.Equal((1, "facemesh-matcher", "OrderedReady", "RollingUpdate"),
            ((int)spec["replicas"]!, (string)spec["serviceName"]!, (string)spec["podManagementPolicy"]!, (string)spec["updateStrategy"]!["type"]!));
        Assert.Equal(("Retain", "Retain"), ((string)spec["persistentVolumeClaimRetentionPolicy"]!["whenDeleted"]!, (string)spec["persistentVolumeClaimRetentionPolicy"]!["whenScaled"]!));
        var claim = spec["volumeClaimTemplates"]!.AsArray().Single()!;
        Assert.Equal("data", (string)claim["metadata"]!["name"]!);
        Assert.Equal(["ReadWriteOnce"], Strings(claim["spec"]!["accessModes"]));
        Assert.Equal("20Gi", (string)claim["spec"]!["resources"]!["requests"]!["storage"]!);
        Assert.Null(claim["spec"]!["storageClassName"]);
        // The galleries' directory on that claim; no standalone claim for helm uninstall to delete.
        Assert.Equal("/data", (string)Container(statefulSet)["volumeMounts"]!.AsArray().Single(m => (string)m!["name"]! == "data")!["mountPath"]!);
        Assert.DoesNotContain(PodSpec(statefulSet)["volumes"]!.AsArray(), v => (string)v!["name"]! == "data");
        Assert.Empty(chart.OfKind("default", "PersistentVolumeClaim"));
        Assert.DoesNotContain(chart.OfKind("default", "Deployment"), d => (string)d["metadata"]!["name"]! == "facemesh-matcher");
        Assert.DoesNotContain(chart.OfKind("default", "HorizontalPodAutoscaler"), h => (string)h["metadata"]!["name"]! == "facemesh-matcher");

        var deletable = RenderedChart.Named(chart.Render("variant-matcher-claim", "--set", "matcher.persistence.retain=false",
            "--set", "matcher.persistence.accessModes={ReadWriteOncePod}", "--set", "matcher.persistence.storageClass=fast-ssd", "--set", "matcher.persistence.size=50Gi"),
            "StatefulSet", "facemesh-matcher")["spec"]!;
        Assert.Equal(("Delete", "Delete"), ((string)deletable["persistentVolumeClaimRetentionPolicy"]!["whenDeleted"]!, (string)deletable["persistentVolumeClaimRetentionPolicy"]!["whenScaled"]!));
        var deletableClaim = deletable["volumeClaimTemplates"]![0]!["spec"]!;
        Assert.Equal(["ReadWriteOncePod"], Strings(deletableClaim["accessModes"]));
        Assert.Equal(("fast-ssd", "50Gi"), ((string)deletableClaim["storageClassName"]!, (string)deletableClaim["resources"]!["requests"]!["storage"]!));
    }

    [Fact]
    public void An_existing_claim_replaces_the_statefulsets_claim_template()
    {
        var statefulSet = chart.Named("operator", "StatefulSet", "facemesh-identity-matcher");
        Assert.Null(statefulSet["spec"]!["volumeClaimTemplates"]);
        Assert.Null(statefulSet["spec"]!["persistentVolumeClaimRetentionPolicy"]);
        var data = PodSpec(statefulSet)["volumes"]!.AsArray().Single(v => (string)v!["name"]! == "data")!;
        Assert.Equal("faces-galleries", (string)data["persistentVolumeClaim"]!["claimName"]!);
        Assert.Equal("/data", (string)Container(statefulSet)["volumeMounts"]!.AsArray().Single(m => (string)m!["name"]! == "data")!["mountPath"]!);
    }

    [Fact]
    public void A_pod_restarts_only_when_what_it_reads_changes()
    {
        var before = Checksums(chart.Manifests("default"));
        Assert.Equal(4, before.Values.Distinct().Count());
        // Monitoring, replica counts and autoscaling are no pod's configuration: no checksum moves.
        var monitoring = chart.Render("variant-checksum-monitoring", "--set", "monitoring.serviceMonitor.enabled=true", "--set", "monitoring.serviceMonitor.interval=30s",
            "--set", "monitoring.prometheusRule.enabled=true", "--set", "monitoring.dashboards.enabled=false",
            "--set", "gateway.autoscaling.maxReplicas=12", "--set", "detector.podDisruptionBudget.maxUnavailable=2");
        Assert.Equal(before, Checksums(monitoring));
        // A Detector setting moves the Detector's checksum alone.
        var detector = Checksums(chart.Render("variant-checksum-detector", "--set", "detector.decodeBudgetMegabytes=256"));
        Assert.NotEqual(before["detector"], detector["detector"]);
        Assert.Equal(before.Where(c => c.Key != "detector"), detector.Where(c => c.Key != "detector"));
        // RabbitMQ is read by the Gateway and the Matcher only.
        var rabbitmq = Checksums(chart.Render("variant-checksum-rabbitmq", "--set", "rabbitmq.port=5673"));
        Assert.Equal(["gateway", "matcher"], Components.Where(c => rabbitmq[c] != before[c]).ToArray());
    }

    [Theory]
    [InlineData("default", new[] { "facemesh-gateway", "facemesh-detector", "facemesh-embedder" })]
    [InlineData("external-qdrant", new[] { "facemesh-gateway", "facemesh-detector", "facemesh-embedder", "facemesh-matcher" })]
    public void Disruption_budgets_let_one_pod_go_at_a_time(string values, string[] expected)
    {
        var budgets = chart.OfKind(values, "PodDisruptionBudget").ToArray();
        Assert.Equal(expected.Order(), budgets.Select(b => (string)b["metadata"]!["name"]!).Order());
        foreach (var budget in budgets)
        {
            Assert.Equal(1, (int)budget["spec"]!["maxUnavailable"]!);
            Assert.Null(budget["spec"]!["minAvailable"]);
        }
    }

    [Theory]
    [InlineData("default")]
    [InlineData("external-qdrant")]
    public void The_matcher_is_guaranteed_and_the_detector_has_room_for_its_decode_budget(string values)
    {
        var matcher = Container(chart.Workload(values, "facemesh-matcher"))["resources"]!;
        Assert.True(JsonNode.DeepEquals(matcher["requests"], matcher["limits"]), $"Guaranteed QoS needs requests == limits: {matcher.ToJsonString()}");
        Assert.Equal(("1", "2Gi"), ((string)matcher["limits"]!["cpu"]!, (string)matcher["limits"]!["memory"]!));

        var detector = Container(chart.Named(values, "Deployment", "facemesh-detector"));
        var resources = detector["resources"]!;
        Assert.Equal(("1", "1Gi", "1Gi"), ((string)resources["requests"]!["cpu"]!, (string)resources["requests"]!["memory"]!, (string)resources["limits"]!["memory"]!));
        Assert.Equal("320", (string)Env(detector)["Detector__DecodeBudgetMegabytes"]["value"]!);
    }

    [Theory]
    [InlineData("700Mi", "320", "detector.resources.limits.memory=700Mi (700 MiB)", "720 MiB")]
    [InlineData("1Gi", "700", "detector.resources.limits.memory=1Gi (1024 MiB)", "1100 MiB")]
    public void The_chart_refuses_a_detector_limit_below_its_base_plus_the_decode_budget(string limit, string budget, string expected, string needed)
    {
        var (code, output) = RenderedChart.Run(RenderedChart.Helm, "template", "facemesh", RenderedChart.Chart,
            "--set", "detector.resources.limits.memory=" + limit, "--set", "detector.decodeBudgetMegabytes=" + budget);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, output);
        Assert.Contains($"detector.decodeBudgetMegabytes={budget}", output);
        Assert.Contains(needed, output);
        // 1.5Gi is 1536 MiB: enough for the 320 MB budget.
        var (fits, fitsOutput) = RenderedChart.Run(RenderedChart.Helm, "template", "facemesh", RenderedChart.Chart, "--set", "detector.resources.limits.memory=1.5Gi");
        Assert.True(fits == 0, fitsOutput);
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Every_pod_names_itself_to_telemetry_and_stops_without_dropping_calls(string values)
    {
        foreach (var workload in chart.Workloads(values))
        {
            var container = Container(workload);
            var env = container["env"]!.AsArray().Select(e => e!).ToArray();
            var names = env.Select(e => (string)e["name"]!).ToList();
            // Kubernetes expands $(VAR) only from variables declared before it.
            int attributes = names.IndexOf("OTEL_RESOURCE_ATTRIBUTES");
            Assert.Equal("k8s.pod.name=$(POD_NAME),k8s.namespace.name=$(POD_NAMESPACE),k8s.node.name=$(NODE_NAME)", (string)env[attributes]["value"]!);
            foreach (var (name, field) in new[] { ("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace"), ("NODE_NAME", "spec.nodeName") })
            {
                Assert.InRange(names.IndexOf(name), 0, attributes - 1);
                Assert.Equal(field, (string)env[names.IndexOf(name)]["valueFrom"]!["fieldRef"]!["fieldPath"]!);
            }
            // The images have no shell: the kubelet's sleep action, inside the grace period.
            Assert.Equal(5, (int)container["lifecycle"]!["preStop"]!["sleep"]!["seconds"]!);
            int grace = (int)PodSpec(workload)["terminationGracePeriodSeconds"]!;
            Assert.Equal((string)container["name"]! switch { "gateway" => 40, "detector" when values == "operator" => 20, _ => 30 }, grace);
        }
    }

    [Fact]
    public void The_helm_test_pod_verifies_two_photos_through_the_gateway_only_when_given_a_key_and_photos()
    {
        Assert.Empty(chart.OfKind("default", "Pod")); // the chart carries no key and no photos
        var pod = chart.Named("operator", "Pod", "facemesh-identity-selftest");
        var annotations = pod["metadata"]!["annotations"]!;
        Assert.Equal(("test", "before-hook-creation,hook-succeeded"), ((string)annotations["helm.sh/hook"]!, (string)annotations["helm.sh/hook-delete-policy"]!));
        var spec = pod["spec"]!;
        Assert.Equal("Never", (string)spec["restartPolicy"]!);
        var container = spec["containers"]![0]!;
        Assert.Equal((string)Container(chart.Named("operator", "Deployment", "facemesh-identity-gateway"))["image"]!, (string)container["image"]!);
        Assert.Equal(["selftest", "--gateway", "http://facemesh-identity-gateway:5000", "--api-key-file", "/etc/facemesh/selftest/api-key",
            "--probe", "/etc/facemesh/selftest/photos/probe.jpg", "--reference", "/etc/facemesh/selftest/photos/reference.jpg"], Strings(container["args"]));
        // The services' security contexts.
        Assert.Equal(1654, (int)spec["securityContext"]!["runAsUser"]!);
        Assert.True((bool)container["securityContext"]!["readOnlyRootFilesystem"]!);
        Assert.False((bool)container["securityContext"]!["allowPrivilegeEscalation"]!);
        // The key and the photos where the arguments say.
        var mount = container["volumeMounts"]!.AsArray().Single(m => (string)m!["name"]! == "selftest")!;
        Assert.Equal("/etc/facemesh/selftest", (string)mount["mountPath"]!);
        var sources = spec["volumes"]!.AsArray().Single(v => (string)v!["name"]! == "selftest")!["projected"]!["sources"]!.AsArray();
        var secret = sources.Single(s => s!["secret"] is not null)!["secret"]!;
        Assert.Equal(("facemesh-selftest-key", "api-key", "api-key"), ((string)secret["name"]!, (string)secret["items"]![0]!["key"]!, (string)secret["items"]![0]!["path"]!));
        var photos = sources.Single(s => s!["configMap"] is not null)!["configMap"]!;
        Assert.Equal("facemesh-selftest-photos", (string)photos["name"]!);
        Assert.Equal(["photos/probe.jpg", "photos/reference.jpg"], photos["items"]!.AsArray().Select(i => (string)i!["path"]!).ToArray());
        // networkPolicy.gatewayFrom is set: it admits the test pod too.
        var from = chart.Named("operator", "NetworkPolicy", "facemesh-identity-gateway")["spec"]!["ingress"]![0]!["from"]!.AsArray();
        var labels = pod["metadata"]!["labels"]!;
        Assert.Contains(from, peer => peer!["podSelector"] is { } selector
            && selector["matchLabels"]!.AsObject().All(l => (string?)labels[l.Key] == (string)l.Value!));
    }

    [Fact]
    public void Name_overrides_rename_every_object_and_the_addresses_between_them()
    {
        foreach (var manifest in chart.Manifests("operator"))
        {
            Assert.StartsWith("facemesh-identity-", (string)manifest!["metadata"]!["name"]!);
            Assert.Equal("identity", (string)manifest["metadata"]!["labels"]!["app.kubernetes.io/name"]!);
        }
        Assert.Equal("identity", (string)chart.Named("operator", "Service", "facemesh-identity-detector")["spec"]!["selector"]!["app.kubernetes.io/name"]!);

        var renamed = chart.Render("variant-fullname", "--set", "fullnameOverride=faces");
        foreach (var manifest in renamed)
            Assert.StartsWith("faces-", (string)manifest!["metadata"]!["name"]!);
        var env = Env(Container(RenderedChart.Named(renamed, "Deployment", "faces-gateway")));
        Assert.Equal("dns:///faces-detector.facemesh.svc.cluster.local:5010", (string)env["Gateway__DetectorAddress"]["value"]!);
        Assert.Equal("faces-matcher", (string)RenderedChart.Named(renamed, "StatefulSet", "faces-matcher")["spec"]!["serviceName"]!);
    }

    [Fact]
    public void A_platform_teams_pod_settings_reach_the_pods()
    {
        var gateway = chart.Named("operator", "Deployment", "facemesh-identity-gateway");
        var pod = PodSpec(gateway);
        Assert.Equal("registry.example.com/facemesh/facemesh-gateway@sha256:1f0e3dad99908345f7439f8ffabdffc4c5c8d3d0e0a0b7e9d8c6f1a2b3c4d5e6", (string)Container(gateway)["image"]!);
        Assert.Equal("facemesh-serving", (string)pod["priorityClassName"]!);
        Assert.Equal("true", (string)gateway["spec"]!["template"]!["metadata"]!["annotations"]!["cluster-autoscaler.kubernetes.io/safe-to-evict"]!);
        // A spread constraint without a selector spreads the component's own pods.
        var spread = pod["topologySpreadConstraints"]!.AsArray().Single()!;
        Assert.Equal(("topology.kubernetes.io/zone", "gateway", "facemesh"), ((string)spread["topologyKey"]!,
            (string)spread["labelSelector"]!["matchLabels"]!["app.kubernetes.io/component"]!, (string)spread["labelSelector"]!["matchLabels"]!["app.kubernetes.io/instance"]!));
        // Extra variables come after the chart's.
        Assert.Equal("Logging__LogLevel__Default", (string)Container(gateway)["env"]!.AsArray().Last()!["name"]!);
        Assert.Equal("true", (string)chart.Named("operator", "Service", "facemesh-identity-gateway")["metadata"]!["annotations"]!["service.beta.kubernetes.io/aws-load-balancer-internal"]!);

        var detector = chart.Named("operator", "Deployment", "facemesh-identity-detector");
        Assert.Equal("mirror.example.com/vision/facemesh-detector:0.1.0-hardened", (string)Container(detector)["image"]!);
        Assert.Equal("vision", (string)detector["spec"]!["template"]!["metadata"]!["labels"]!["team"]!);
        Assert.Null(detector["spec"]!["selector"]!["matchLabels"]!["team"]); // pod labels never enter the selector
        Assert.NotNull(PodSpec(detector)["affinity"]!["podAntiAffinity"]);
        // Probe overrides merge over the chart's probe.
        var readiness = Container(detector)["readinessProbe"]!;
        Assert.Equal((10, 2, "/readyz"), ((int)readiness["periodSeconds"]!, (int)readiness["failureThreshold"]!, (string)readiness["httpGet"]!["path"]!));
        Assert.Equal(120, (int)Container(chart.Named("operator", "Deployment", "facemesh-identity-embedder"))["startupProbe"]!["failureThreshold"]!);

        var matcher = PodSpec(chart.Named("operator", "StatefulSet", "facemesh-identity-matcher"));
        Assert.Equal("on-demand", (string)matcher["nodeSelector"]!["node.kubernetes.io/lifecycle"]!);
    }

    [Fact]
    public void Servicemonitors_keep_the_operators_job_and_namespace_and_carry_the_labels_prometheus_selects_on()
    {
        var monitors = chart.OfKind("operator", "ServiceMonitor").ToArray();
        Assert.Equal(4, monitors.Length);
        foreach (var monitor in monitors)
        {
            Assert.Equal("monitoring", (string)monitor["metadata"]!["namespace"]!);
            Assert.Equal("kube-prometheus-stack", (string)monitor["metadata"]!["labels"]!["release"]!);
            var spec = monitor["spec"]!;
            Assert.Null(spec["jobLabel"]); // job is the Kubernetes Service's name
            Assert.Equal(["facemesh"], Strings(spec["namespaceSelector"]!["matchNames"]));
            var endpoint = spec["endpoints"]!.AsArray().Single()!;
            Assert.Equal(("http", "/metrics"), ((string)endpoint["port"]!, (string)endpoint["path"]!));
            Assert.False((bool)endpoint["honorLabels"]!);
            // The one relabeling adds facemesh_component (the rules' and dashboards' selector); job and namespace stay the operator's.
            var relabeling = endpoint["relabelings"]!.AsArray().Single()!;
            Assert.Equal(["__meta_kubernetes_service_label_app_kubernetes_io_component"], Strings(relabeling["sourceLabels"]));
            Assert.Equal("facemesh_component", (string)relabeling["targetLabel"]!);
        }
        var rule = chart.OfKind("operator", "PrometheusRule").Single()["metadata"]!;
        Assert.Equal(("monitoring", "kube-prometheus-stack"), ((string)rule["namespace"]!, (string)rule["labels"]!["release"]!));
        // Without additionalLabels nothing is added, and everything stays in the release's namespace.
        var plain = chart.OfKind("external-qdrant", "ServiceMonitor").First()["metadata"]!;
        Assert.Null(plain["namespace"]);
        Assert.Null(plain["labels"]!["release"]);
    }

    [Fact]
    public void The_gateway_ingresses_send_grpc_to_the_grpc_port_and_the_json_api_to_the_http_port()
    {
        Assert.Empty(chart.OfKind("default", "Ingress"));
        foreach (var (backend, path) in new[] { ("grpc", "/facemesh.v1.FaceMeshApi"), ("http", "/v1") })
        {
            var ingress = chart.Named("operator", "Ingress", "facemesh-identity-gateway-" + backend);
            var spec = ingress["spec"]!;
            Assert.Equal("nginx", (string)spec["ingressClassName"]!);
            Assert.Equal("faces-example-com-tls", (string)spec["tls"]![0]!["secretName"]!);
            var rule = spec["rules"]!.AsArray().Single()!;
            Assert.Equal("faces.example.com", (string)rule["host"]!);
            var target = rule["http"]!["paths"]!.AsArray().Single()!;
            Assert.Equal((path, "Prefix"), ((string)target["path"]!, (string)target["pathType"]!));
            Assert.Equal(("facemesh-identity-gateway", backend), ((string)target["backend"]!["service"]!["name"]!, (string)target["backend"]!["service"]!["port"]!["name"]!));
            // Only the gRPC Ingress tells ingress-nginx to speak gRPC to the backend.
            Assert.Equal(backend == "grpc", (string?)ingress["metadata"]!["annotations"]!["nginx.ingress.kubernetes.io/backend-protocol"] == "GRPC");
        }
    }

    [Fact]
    public void The_readme_parameter_table_is_the_one_the_schema_gives()
    {
        var (code, output) = RenderedChart.Run("node", Path.Combine(TestPaths.RepositoryRoot, "tools", "chart-check", "params.mjs"), "--check");
        Assert.True(code == 0, output);
    }
}
