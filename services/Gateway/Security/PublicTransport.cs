using FaceMesh.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace FaceMesh.Gateway.Security;

/// <summary>
/// What the public API's transport must be, before anything else runs: with TLS configured, the API (gRPC and JSON)
/// is served on the TLS port only, and the cleartext HTTP/1.1 port answers only probes and Prometheus; a JSON body
/// larger than <see cref="GatewayOptions.MaxRequestBytes"/> is refused as the gRPC port refuses a large message.
/// </summary>
public sealed class PublicTransport(IOptions<ServiceEndpoints> endpoints, IOptions<GatewayOptions> gateway)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (PreAuthentication.IsPublicCall(context.Request.Path))
        {
            if (endpoints.Value.Tls && !context.Request.IsHttps)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsJsonAsync(new
                {
                    code = (int)Grpc.Core.StatusCode.PermissionDenied,
                    message = $"This Gateway serves its API over TLS only: call https://<host>:{endpoints.Value.GrpcPort}{context.Request.Path} " +
                              $"(gRPC and JSON). Port {context.Connection.LocalPort} serves only /healthz, /readyz and /metrics.",
                });
                return;
            }
            long max = gateway.Value.MaxRequestBytes;
            if (context.Request.ContentLength > max && context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) != true)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                await context.Response.WriteAsJsonAsync(new
                {
                    code = (int)Grpc.Core.StatusCode.ResourceExhausted,
                    message = $"The request body is {context.Request.ContentLength} bytes; the Gateway takes at most {max} (Gateway:MaxRequestBytes). Send a smaller photo.",
                });
                return;
            }
            // A body without a length (chunked) is cut off at the same limit while it is read.
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                limit.MaxRequestBodySize = max;
        }
        await next(context);
    }
}
