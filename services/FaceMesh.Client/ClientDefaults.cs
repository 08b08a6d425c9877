using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client.Configuration;

namespace FaceMesh.Client;

/// <summary>What every FaceMesh call gets: credentials, a default deadline, and retries on UNAVAILABLE.</summary>
internal sealed class ClientDefaults(FaceMeshClientOptions options) : Interceptor
{
    /// <summary>Every FaceMesh call may be retried on UNAVAILABLE: enrollments are keyed by face id on the server.</summary>
    public static ServiceConfig RetryPolicy(int maxAttempts) => new()
    {
        MethodConfigs =
        {
            new MethodConfig
            {
                Names = { MethodName.Default },
                RetryPolicy = new RetryPolicy
                {
                    MaxAttempts = Math.Max(2, maxAttempts),
                    InitialBackoff = TimeSpan.FromMilliseconds(200),
                    MaxBackoff = TimeSpan.FromSeconds(2),
                    BackoffMultiplier = 2,
                    RetryableStatusCodes = { StatusCode.Unavailable },
                },
            },
        },
    };

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var callOptions = context.Options;
        if (callOptions.Deadline is null)
            callOptions = callOptions.WithDeadline(DateTime.UtcNow + options.DefaultDeadline);
        var headers = callOptions.Headers ?? [];
        if (options.ApiKey is { Length: > 0 } key && headers.Get("x-api-key") is null)
            headers.Add("x-api-key", key);
        if (options.BearerToken is { Length: > 0 } token && headers.Get("authorization") is null)
            headers.Add("authorization", $"Bearer {token}");
        callOptions = callOptions.WithHeaders(headers);
        return continuation(request, new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, callOptions));
    }
}
