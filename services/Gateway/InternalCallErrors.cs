using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FaceMesh.Gateway;

/// <summary>
/// Names the internal service in the errors a caller sees when it cannot be reached or does not answer in time:
/// "the Embedder is unavailable" says more than a socket error, and says what to do. Other errors (bad input,
/// not found, ...) pass through unchanged; the status code never changes.
/// </summary>
public sealed class InternalCallErrors(string service, Action<string>? logger = null) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var call = continuation(request, context);
        return new AsyncUnaryCall<TResponse>(Translate(call.ResponseAsync), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    private async Task<TResponse> Translate<TResponse>(Task<TResponse> response)
    {
        try
        {
            return await response;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
        {
            // The transport's detail names the service's address (host, port, pod IP): for the operator's log, not the caller.
            logger?.Invoke($"The {service} is unavailable: {e.Status.Detail}");
            throw new RpcException(new Status(StatusCode.Unavailable,
                $"The {service} is unavailable; the request was not completed. Retry in a moment: FaceMesh requests are safe to retry."), e.Trailers);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded,
                $"The {service} did not answer before the call's deadline; the request was abandoned. Retry, or allow a longer deadline."), e.Trailers);
        }
    }
}
