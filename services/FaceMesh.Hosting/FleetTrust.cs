using System.Security.Cryptography;
using System.Text;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FaceMesh.Hosting;

/// <summary>
/// Service-to-service trust (configuration section <c>Fleet</c>): the internal services (Detector, Embedder, Matcher)
/// accept a call only when it carries the fleet's shared token in <c>x-facemesh-fleet-token</c>; the Gateway sends it
/// on every internal call. The token comes from <c>Fleet:Token</c> or, better, <c>Fleet:TokenFile</c> (a mounted secret;
/// read at start-up). Without a token the internal services accept every call and say so in the log: that is for one
/// machine on loopback only. A token file that is empty refuses to start: only an unset token means a local trial. Health and reflection
/// stay open (probes need no secret).
/// </summary>
public sealed class FleetToken
{
    public const string Section = "Fleet";
    public const string Header = "x-facemesh-fleet-token";

    private readonly byte[]? _token;

    public FleetToken(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        string? token = section["Token"];
        if (section["TokenFile"] is { Length: > 0 } file)
        {
            if (!File.Exists(file))
                throw new InvalidOperationException($"Fleet:TokenFile is '{file}', which does not exist. Mount the fleet token secret there, or unset Fleet:TokenFile.");
            token = File.ReadAllText(file).Trim();
            // A mounted secret that is empty is a broken deployment, not a local trial: refusing to start is the only
            // safe answer (accepting it would leave every internal RPC open).
            if (token.Length == 0)
                throw new InvalidOperationException($"Fleet:TokenFile '{file}' is empty (or only white space). Put the fleet token in it (e.g. openssl rand -hex 32), or unset Fleet:TokenFile for a local trial without one.");
        }
        else if (section["Token"] is { } configured && configured.Length > 0 && configured.Trim().Length == 0)
        {
            throw new InvalidOperationException("Fleet:Token is only white space. Set the fleet token, or leave Fleet:Token unset for a local trial without one.");
        }
        if (token is { Length: > 0 and < 16 })
            throw new InvalidOperationException($"The fleet token is {token.Length} characters; use at least 16 random characters (e.g. openssl rand -hex 32).");
        Value = string.IsNullOrEmpty(token) ? null : token;
        _token = Value is null ? null : Encoding.UTF8.GetBytes(Value);
    }

    /// <summary>The token, or null when the fleet runs without one.</summary>
    public string? Value { get; }

    public bool Matches(string? presented) =>
        _token is null || (presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _token));
}

/// <summary>Refuses an internal call without the fleet token with <c>UNAUTHENTICATED</c>.</summary>
public sealed class FleetTokenGuard(FleetToken token) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        if (!token.Matches(context.RequestHeaders.GetValue(FleetToken.Header)))
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                $"{context.Method} is internal to the FaceMesh fleet and needs the fleet token ({FleetToken.Header}); call the Gateway instead."));
    }
}

/// <summary>Adds the fleet token to every call of an internal client (the Gateway's clients of the other services).</summary>
public sealed class FleetTokenClientInterceptor(FleetToken token) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation) => continuation(request, WithToken(context));

    private ClientInterceptorContext<TRequest, TResponse> WithToken<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class where TResponse : class
    {
        if (token.Value is null)
            return context;
        var headers = context.Options.Headers ?? new Metadata();
        headers.Add(FleetToken.Header, token.Value);
        return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers));
    }
}

public static class FleetTrustExtensions
{
    /// <summary>An internal service: its gRPC service accepts only calls that carry the fleet token (when one is configured).</summary>
    public static void RequireFleetToken<TService>(this WebApplicationBuilder builder) where TService : class
    {
        builder.Services.AddSingleton<FleetTokenGuard>();
        builder.Services.AddGrpc().AddServiceOptions<TService>(o => o.Interceptors.Add<FleetTokenGuard>());
    }

    /// <summary>Logs once at start-up whether internal calls are authenticated.</summary>
    public static void LogFleetTrust(this WebApplication app, string role)
    {
        var token = app.Services.GetRequiredService<FleetToken>();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FaceMesh.Fleet");
        if (token.Value is null)
            log.LogWarning("No fleet token configured (Fleet:Token or Fleet:TokenFile): {Role} without service-to-service authentication; use this on one machine only", role);
        else
            log.LogInformation("Fleet token configured: {Role} with service-to-service authentication", role);
    }
}
