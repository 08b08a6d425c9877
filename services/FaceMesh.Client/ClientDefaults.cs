using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FaceMesh.Client;

/// <summary>What every FaceMesh call gets: credentials and a default deadline (retries: <see cref="RetryPolicies"/>).</summary>
internal sealed class ClientDefaults(FaceMeshClientOptions options) : Interceptor
{
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
