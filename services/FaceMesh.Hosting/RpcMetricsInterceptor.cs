using System.Diagnostics;
using System.Diagnostics.Metrics;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FaceMesh.Hosting;

/// <summary>
/// Duration of every gRPC call a service answers (<c>facemesh_rpc_server_duration_seconds</c>), by service,
/// method and status code: the fleet overview's rate, errors and latency. Labels are bounded (RPC names and
/// the 17 status codes). One meter per process, shared by the services a process hosts.
/// </summary>
public sealed class RpcMetricsInterceptor(ServiceIdentity identity) : Interceptor
{
    private static readonly Meter Meter = new(ServiceDefaults.MeterPrefix + "Rpc");
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("facemesh.rpc.server.duration", "s",
        "Time to answer a gRPC call, by service, method and status code.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        long start = Stopwatch.GetTimestamp();
        var code = StatusCode.OK;
        try
        {
            return await continuation(request, context);
        }
        catch (RpcException e)
        {
            code = e.StatusCode;
            throw;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            code = StatusCode.Cancelled;
            throw;
        }
        catch (Exception)
        {
            code = StatusCode.Unknown;
            throw;
        }
        finally
        {
            // "/facemesh.v1.FaceMeshApi/Verify" → method "Verify"; the grpc service name is the facemesh service's.
            var method = context.Method[(context.Method.LastIndexOf('/') + 1)..];
            Duration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds,
                new KeyValuePair<string, object?>("facemesh_service", identity.Name),
                new KeyValuePair<string, object?>("method", method),
                new KeyValuePair<string, object?>("code", code.ToString()));
        }
    }
}

/// <summary>The service a process hosts (facemesh-gateway, facemesh-detector, …): the <c>service</c> label and the trace
/// resource.</summary>
public sealed record ServiceIdentity(string Name);
