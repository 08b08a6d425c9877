using FaceMesh.Gateway.Security;
using FaceMesh.Hosting;
using FaceMesh.Messaging;
using MassTransit;

namespace FaceMesh.Gateway;

/// <summary>What the Gateway process hosts; <c>Program</c> runs it, tests start it on loopback.</summary>
public static class GatewayHost
{
    /// <summary>Photos up to the image limit travel in one internal message.</summary>
    public const int MaxMessageBytes = 32 * 1024 * 1024;

    /// <summary>Internal calls are retried on UNAVAILABLE (all are idempotent), within the caller's deadline.</summary>
    private static readonly Grpc.Net.Client.Configuration.ServiceConfig RetryOnUnavailable =
        FaceMesh.Client.RetryPolicies.OnUnavailable(maxAttempts: 4, initialBackoff: TimeSpan.FromMilliseconds(100));

    public static WebApplication Build(string[] args) => Build(args, sharedBus: null);

    /// <param name="sharedBus">The single-process mode's in-memory bus (the Matcher's), when Bus:Transport is InMemory.</param>
    public static WebApplication Build(string[] args, IBus? sharedBus)
    {
        var builder = FaceMeshService.CreateBuilder(args, "facemesh-gateway");
        builder.AddValidatedOptions<GatewayOptions>(GatewayOptions.Section);
        var options = builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
        builder.AddValidatedOptions<AuthOptions>(AuthOptions.Section);
        var auth = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        if (!auth.AllowAnonymous && !auth.AnyCredentialsConfigured)
            throw new InvalidOperationException(
                "The Gateway has no credentials to check: configure API keys (Gateway:Auth:ApiKeys or Gateway:Auth:ApiKeysFile; make one with " +
                "'facemesh keys new --tenant T --role admin') or JWT signing keys (Gateway:Auth:Jwt), or set Gateway:Auth:AllowAnonymous=true " +
                "for a local trial on one machine.");
        builder.Services.AddSingleton<ApiKeyRing>();
        builder.Services.AddSingleton<JwtValidator>();
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddSingleton<GatewayGuard>();
        builder.Services.AddSingleton<PreAuthentication>();
        builder.Services.AddSingleton<PublicTransport>();
        builder.Services.AddSingleton<FleetTokenClientInterceptor>();
        builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = options.MaxRequestBytes).AddJsonTranscoding()
            .AddServiceOptions<FaceMeshGrpcService>(o => o.Interceptors.Add<GatewayGuard>());
        AddClient<Contracts.V1.Detector.DetectorClient>(builder, "Detector", options.DetectorAddress);
        AddClient<Contracts.V1.Embedder.EmbedderClient>(builder, "Embedder", options.EmbedderAddress);
        AddClient<Contracts.V1.Matcher.MatcherClient>(builder, "Matcher", options.MatcherAddress);
        builder.Services.AddSingleton<ModelThresholds>();
        builder.Services.AddSingleton<EnrollmentWriter>();
        builder.AddValidatedOptions<BusOptions>(BusOptions.Section);
        var bus = FaceMeshBus.ReadOptions(builder.Configuration);
        if (bus.Transport == "RabbitMq")
            builder.Services.AddFaceMeshBus(bus);
        else if (bus.Transport == "InMemory")
            builder.Services.AddSingleton(sharedBus ?? throw new InvalidOperationException(
                "Bus:Transport=InMemory works only in the single-process mode (services/AllInOne). For separate processes use RabbitMq, or leave it empty for direct calls."));

        var app = builder.Build();
        // The transport (TLS only when configured, the body limit), then credentials from the headers: an unauthenticated
        // body is never read.
        var transport = app.Services.GetRequiredService<PublicTransport>();
        app.Use((context, next) => transport.InvokeAsync(context, _ => next()));
        var preAuthentication = app.Services.GetRequiredService<PreAuthentication>();
        app.Use((context, next) => preAuthentication.InvokeAsync(context, _ => next()));
        app.MapGrpcService<FaceMeshGrpcService>();
        app.Services.GetRequiredService<ApiKeyRing>(); // a wrong key entry stops the start with its name
        app.Services.GetRequiredService<JwtValidator>();
        if (auth.AllowAnonymous)
            app.Logger.LogWarning("Gateway:Auth:AllowAnonymous is on: calls without credentials act as tenant '{Tenant}' with the admin role. For a local trial only.", auth.AnonymousTenant);
        app.LogFleetTrust("the Gateway's internal calls");
        app.MapFaceMeshEndpoints();
        // The Gateway holds no model: it is ready when it listens; its calls fail with UNAVAILABLE until the fleet is up.
        app.Services.GetRequiredService<Readiness>().MarkReady();
        return app;
    }

    private static void AddClient<TClient>(WebApplicationBuilder builder, string service, string address) where TClient : class =>
        builder.Services.AddGrpcClient<TClient>(client => client.Address = Uri.TryCreate(address, UriKind.Absolute, out var uri) ? uri : new Uri("http://invalid"))
            .AddInterceptor<FleetTokenClientInterceptor>()
            .AddInterceptor(provider =>
            {
                var log = provider.GetRequiredService<ILoggerFactory>().CreateLogger<InternalCallErrors>();
                return new InternalCallErrors(service, message => log.LogWarning("{Message}", message));
            })
            .ConfigureChannel(channel =>
            {
                channel.ServiceConfig = RetryOnUnavailable;
                channel.MaxReceiveMessageSize = MaxMessageBytes;
                channel.MaxSendMessageSize = MaxMessageBytes;
            });
}
