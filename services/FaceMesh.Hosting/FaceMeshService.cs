using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Configuration;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace FaceMesh.Hosting;

/// <summary>
/// The start-up every FaceMesh service shares: <see cref="CreateBuilder"/> sets up the two endpoints,
/// gRPC with health and reflection, readiness and Prometheus metrics; <see cref="MapFaceMeshEndpoints"/>
/// maps the health, readiness and metrics routes onto the HTTP/1.1 port only.
/// </summary>
public static class FaceMeshService
{
    public const string MeterPrefix = "FaceMesh.";

    public static WebApplicationBuilder CreateBuilder(string[] args, string serviceName)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddValidatedOptions<ServiceEndpoints>(ServiceEndpoints.Section);
        var endpoints = builder.Configuration.GetSection(ServiceEndpoints.Section).Get<ServiceEndpoints>() ?? new ServiceEndpoints();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = System.Net.IPAddress.Parse(endpoints.Host);
            kestrel.Listen(address, endpoints.GrpcPort, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Listen(address, endpoints.HttpPort, listen => listen.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddSingleton<Readiness>();
        builder.Services.AddGrpc(grpc => grpc.EnableDetailedErrors = false);
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks().AddCheck<Readiness>("ready");
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics => metrics.AddMeter(MeterPrefix + "*").AddPrometheusExporter());
        return builder;
    }

    /// <summary>
    /// Binds a typed options class to its configuration section and checks its data annotations at
    /// start-up: a wrong setting stops the process with a message that names the setting.
    /// </summary>
    public static void AddValidatedOptions<TOptions>(this WebApplicationBuilder builder, string section) where TOptions : class =>
        builder.Services.AddOptions<TOptions>().Bind(builder.Configuration.GetSection(section)).ValidateDataAnnotations().ValidateOnStart();

    public static WebApplication MapFaceMeshEndpoints(this WebApplication app)
    {
        var httpPort = app.Services.GetRequiredService<IOptions<ServiceEndpoints>>().Value.HttpPort;
        // Port 0 (tests) is only known once the server runs; then any port serves the routes.
        string[] hosts = httpPort == 0 ? ["*"] : [$"*:{httpPort}"];
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        app.MapGet("/healthz", () => Results.Text("ok")).RequireHost(hosts);
        app.MapHealthChecks("/readyz", new HealthCheckOptions()).RequireHost(hosts);
        app.MapPrometheusScrapingEndpoint("/metrics").RequireHost(hosts);
        return app;
    }
}
