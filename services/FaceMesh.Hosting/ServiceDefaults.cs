using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FaceMesh.Hosting;

/// <summary>
/// The start-up every FaceMesh service shares: <see cref="CreateBuilder"/> sets up the two endpoints,
/// gRPC with health and reflection, readiness, and OpenTelemetry (traces, metrics, logs);
/// <see cref="MapFaceMeshEndpoints"/> maps the health, readiness and metrics routes onto the HTTP/1.1 port only.
/// Telemetry: traces of incoming and outgoing gRPC calls (W3C trace context), of MassTransit's publishes and
/// consumes (the context travels in the message headers), and FaceMesh's own spans (<c>FaceMesh.*</c> sources);
/// metrics of every <c>FaceMesh.*</c> meter, ASP.NET Core and the .NET runtime (GC, thread pool, CPU, memory)
/// on <c>/metrics</c>; logs with the trace and span ids in their scope. Traces, metrics and logs go to an OTLP
/// collector when the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (with <c>OTEL_*</c> settings);
/// <c>OTEL_SDK_DISABLED=true</c> turns the SDK off (the overhead baseline).
/// </summary>
public static class ServiceDefaults
{
    public const string MeterPrefix = "FaceMesh.";

    public static WebApplicationBuilder CreateBuilder(string[] args, string serviceName)
    {
        var builder = WebApplication.CreateBuilder(args);
        AddDefaultPorts(builder, serviceName);
        builder.AddValidatedOptions<ServiceEndpoints>(ServiceEndpoints.Section);
        var endpoints = builder.Configuration.GetSection(ServiceEndpoints.Section).Get<ServiceEndpoints>() ?? new ServiceEndpoints();
        var tls = TlsCertificateSource.For(endpoints);
        if (tls is not null)
            builder.Services.AddSingleton(tls);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = System.Net.IPAddress.Parse(endpoints.Host);
            var certificate = tls;
            kestrel.Listen(address, endpoints.GrpcPort, listen =>
            {
                // Cleartext: HTTP/2 only (gRPC without TLS has no ALPN to choose by). TLS: HTTP/2 for gRPC and HTTP/1.1
                // for the JSON API on the same encrypted port.
                listen.Protocols = certificate is null ? HttpProtocols.Http2 : HttpProtocols.Http1AndHttp2;
                if (certificate is not null)
                    listen.UseHttps(https => https.ServerCertificateSelector = (_, _) => certificate.Current);
            });
            kestrel.Listen(address, endpoints.HttpPort, listen => listen.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddSingleton<Readiness>();
        builder.Services.AddSingleton<FleetToken>();
        builder.Services.AddSingleton(new ServiceIdentity(serviceName));
        builder.Services.AddGrpc(grpc =>
        {
            grpc.EnableDetailedErrors = false;
            grpc.Interceptors.Add<RpcMetricsInterceptor>();
            grpc.Interceptors.Add<ErrorStatusInterceptor>(); // inside the metrics: they count the mapped status
        });
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks().AddCheck<Readiness>("ready");
        ProcessMetrics.Register();
        AddTelemetry(builder, serviceName);
        return builder;
    }

    /// <summary>
    /// The service's ports from <see cref="FleetPorts"/> (facemesh-detector: Detector), beneath every other source:
    /// appsettings.json, environment variables and arguments all override them.
    /// </summary>
    private static void AddDefaultPorts(WebApplicationBuilder builder, string serviceName)
    {
        string service = FleetPorts.All.Keys.Single(k => serviceName.Equals("facemesh-" + k, StringComparison.OrdinalIgnoreCase));
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                [$"{ServiceEndpoints.Section}:GrpcPort"] = FleetPorts.Grpc(service).ToString(System.Globalization.CultureInfo.InvariantCulture),
                [$"{ServiceEndpoints.Section}:HttpPort"] = FleetPorts.Http(service).ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        });
    }

    private static readonly string[] QuietPaths = ["/metrics", "/healthz", "/readyz", "/grpc.health.v1.Health/Check"];

    private static void AddTelemetry(WebApplicationBuilder builder, string serviceName)
    {
        bool otlp = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceInstanceId: Environment.MachineName + "-" + Environment.ProcessId))
            .WithMetrics(metrics => metrics
                .AddMeter(MeterPrefix + "*")
                .AddMeter("System.Runtime")                   // GC, thread pool, CPU time, working set (.NET 9+)
                .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddSource(MeterPrefix + "*", "MassTransit")
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !QuietPaths.Contains(http.Request.Path.Value))
                .AddHttpClientInstrumentation())
            .WithLogging(configureBuilder: null, configureOptions: options =>
            {
                options.IncludeFormattedMessage = true;
                options.IncludeScopes = true;
            });
        if (otlp)
            telemetry.UseOtlpExporter(); // endpoint, protocol, headers from OTEL_EXPORTER_OTLP_*
        // Console logs carry the trace and span ids (in their scope), so a log line leads to its trace.
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        builder.Logging.AddSimpleConsole(o => o.IncludeScopes = true);
    }

    /// <summary>
    /// Binds a typed options class to its configuration section and checks its data annotations at
    /// start-up: a wrong setting stops the process with a message that names the setting.
    /// </summary>
    public static void AddValidatedOptions<TOptions>(this WebApplicationBuilder builder, string section) where TOptions : class =>
        builder.Services.AddOptions<TOptions>().Bind(builder.Configuration.GetSection(section)).ValidateDataAnnotations().ValidateOnStart();

    /// <summary>The host patterns of the HTTP/1.1 port, for <c>RequireHost</c>: routes that only that port serves.</summary>
    public static string[] HttpPortHosts(this WebApplication app)
    {
        var httpPort = app.Services.GetRequiredService<IOptions<ServiceEndpoints>>().Value.HttpPort;
        // Port 0 (tests) is only known once the server runs; then any port serves the routes.
        return httpPort == 0 ? ["*"] : [$"*:{httpPort}"];
    }

    public static WebApplication MapFaceMeshEndpoints(this WebApplication app)
    {
        var hosts = app.HttpPortHosts();
        if (app.Services.GetService<TlsCertificateSource>() is { } tls)
            tls.Log = message => app.Logger.LogWarning("{Message}", message);
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        app.MapGet("/healthz", () => Results.Text("ok")).RequireHost(hosts);
        app.MapHealthChecks("/readyz", new HealthCheckOptions()).RequireHost(hosts);
        app.MapPrometheusScrapingEndpoint("/metrics").RequireHost(hosts);
        return app;
    }
}
