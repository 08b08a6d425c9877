using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;

namespace FaceMesh.Hosting;

/// <summary>
/// Which of a service's exceptions answers with which gRPC status code. The service code throws its own exceptions,
/// whose messages say what was wrong and what to do; <see cref="ErrorStatusInterceptor"/> turns them into the status,
/// message unchanged. A registration covers the type's subclasses; the most derived registered type wins. A host
/// registers its map with <c>builder.Services.Configure&lt;ErrorStatusMap&gt;(errors =&gt; errors.Map&lt;…&gt;(…))</c>.
/// </summary>
public sealed class ErrorStatusMap
{
    private readonly Dictionary<Type, (StatusCode Code, Func<Exception, Metadata>? Trailers)> _codes = [];

    /// <summary>Answers <typeparamref name="TException"/> (and its subclasses) with <paramref name="code"/> and, if given,
    /// trailers.</summary>
    public ErrorStatusMap Map<TException>(StatusCode code, Func<TException, Metadata>? trailers = null) where TException : Exception
    {
        _codes[typeof(TException)] = (code, trailers is null ? null : e => trailers((TException)e));
        return this;
    }

    /// <summary>The status for <paramref name="error"/>, or null when no registration covers it (it stays an internal error).</summary>
    public RpcException? ToRpcException(Exception error)
    {
        for (var type = error.GetType(); type is not null && type != typeof(Exception); type = type.BaseType)
            if (_codes.TryGetValue(type, out var entry))
                return new RpcException(new Status(entry.Code, error.Message, error), entry.Trailers?.Invoke(error) ?? new Metadata());
        return null;
    }
}

/// <summary>
/// Maps the exceptions of every gRPC method to status codes by the host's <see cref="ErrorStatusMap"/>: one place
/// instead of a try/catch per method. It runs inside <see cref="RpcMetricsInterceptor"/>, so the metrics count the
/// status the caller gets. Every FaceMesh RPC is unary (as the metrics interceptor assumes too); a streaming RPC would
/// need its handler here.
/// </summary>
public sealed class ErrorStatusInterceptor(IOptions<ErrorStatusMap> map) : Interceptor
{
    private readonly ErrorStatusMap _map = map.Value;

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (_map.ToRpcException(e) is { } status) // an RpcException is never registered: it passes as is
        {
            throw status;
        }
    }
}
