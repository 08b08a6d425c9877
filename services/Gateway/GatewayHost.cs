using FaceMesh.Gateway.Security;
using FaceMesh.Hosting;
using FaceMesh.Messaging;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using MassTransit;

namespace FaceMesh.Gateway;

/// <summary>What the Gateway process hosts; <c>Program</c> runs it, tests start it on loopback.</summary>
public static class GatewayHost
{
    /// <summary>
    /// Internal calls are retried on UNAVAILABLE, within the caller's deadline: 5 attempts (the gRPC client's cap), back-off
    /// from 200 ms, so about 3 s pass before a call gives up; a busy Gateway may take that long to notice that an instance
    /// died. Every internal call may be retried: enrollments are keyed by face id, so a repeated one is the same one.
    /// </summary>
    private static readonly ServiceConfig RetryOnUnavailable = new()
    {
        MethodConfigs =
        {
            new MethodConfig
            {
                Names = { MethodName.Default },
                RetryPolicy = new RetryPolicy
                {
                    MaxAttempts = 5,
                    InitialBackoff = TimeSpan.FromMilliseconds(200),
                    MaxBackoff = TimeSpan.FromSeconds(2),
                    BackoffMultiplier = 2,
                    RetryableStatusCodes = { Grpc.Core.StatusCode.Unavailable },
                },
            },
        },
    };

    /// <summary>The same, with each call sent to the next ready instance (a retry too, so it lands on another one).</summary>
    private static readonly ServiceConfig RetryOnUnavailableRoundRobin = WithRoundRobin(RetryOnUnavailable);

    private static ServiceConfig WithRoundRobin(ServiceConfig retry)
    {
        var config = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } };
        foreach (var method in retry.MethodConfigs)
            config.MethodConfigs.Add(method);
        return config;
    }

    public static WebApplication Build(string[] args) => Build(args, sharedBus: null);

    /// <param name="sharedBus">The single-process mode's in-memory bus (the Matcher's), when Bus:Transport is InMemory.</param>
    public static WebApplication Build(string[] args, IBus? sharedBus)
    {
        var builder = ServiceDefaults.CreateBuilder(args, "facemesh-gateway");
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
        WebConsole.AddOpenApi(builder.Services);
        var fleet = new[]
        {
            FleetAddress.Parse("Detector", $"{GatewayOptions.Section}:{nameof(GatewayOptions.DetectorAddress)}", options.DetectorAddress),
            FleetAddress.Parse("Embedder", $"{GatewayOptions.Section}:{nameof(GatewayOptions.EmbedderAddress)}", options.EmbedderAddress),
            FleetAddress.Parse("Matcher", $"{GatewayOptions.Section}:{nameof(GatewayOptions.MatcherAddress)}", options.MatcherAddress),
        };
        AddResolvers(builder, fleet, TimeSpan.FromSeconds(options.ResolveIntervalSeconds));
        AddClient<Contracts.V1.DetectorService.DetectorServiceClient>(builder, fleet[0]);
        AddClient<Contracts.V1.EmbedderService.EmbedderServiceClient>(builder, fleet[1]);
        AddClient<Contracts.V1.MatcherService.MatcherServiceClient>(builder, fleet[2]);
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
        WebConsole.Map(app);
        // The Gateway holds no model: it is ready when it listens; its calls fail with UNAVAILABLE until the fleet is up.
        app.Services.GetRequiredService<Readiness>().MarkReady();
        return app;
    }

    /// <summary>
    /// <c>dns:</c> addresses are re-resolved on a timer as well as on a failed connection: a healthy channel never
    /// asks again by itself, and new pods would wait for a failure to get calls. Fixed lists resolve to themselves.
    /// </summary>
    private static void AddResolvers(WebApplicationBuilder builder, IReadOnlyList<FleetAddress> fleet, TimeSpan every)
    {
        builder.Services.AddSingleton<ResolverFactory>(new DnsResolverFactory(every));
        var lists = fleet.Where(a => a.ChannelAddress.Scheme == FleetAddress.FixedListScheme)
            .ToDictionary(a => a.ChannelAddress.AbsolutePath.Trim('/'), a => a.FixedAddresses!);
        builder.Services.AddSingleton<ResolverFactory>(new StaticResolverFactory(uri => lists[uri.AbsolutePath.Trim('/')]));
    }

    private static void AddClient<TClient>(WebApplicationBuilder builder, FleetAddress address) where TClient : class =>
        builder.Services.AddGrpcClient<TClient>(client => client.Address = address.ChannelAddress)
            .AddInterceptor<FleetTokenClientInterceptor>()
            .AddInterceptor(provider =>
            {
                var log = provider.GetRequiredService<ILoggerFactory>().CreateLogger<InternalCallErrors>();
                return new InternalCallErrors(address.Service, message => log.LogWarning("{Message}", message));
            })
            .ConfigureChannel((provider, channel) =>
            {
                channel.ServiceProvider = provider; // the resolvers above
                channel.ServiceConfig = address.Balanced ? RetryOnUnavailableRoundRobin : RetryOnUnavailable;
                // dns: and static: addresses carry no http/https scheme to tell the channel it is cleartext.
                if (address.ChannelAddress.Scheme != Uri.UriSchemeHttp)
                    channel.Credentials = Grpc.Core.ChannelCredentials.Insecure;
                channel.MaxReceiveMessageSize = Contracts.V1.ApiLimits.MaxRequestBytes; // photos up to the request limit, in one message
                channel.MaxSendMessageSize = Contracts.V1.ApiLimits.MaxRequestBytes;
            });
}
