using System.Reflection;
using FaceMesh.Hosting;
using Microsoft.OpenApi.Models;

namespace FaceMesh.Gateway;

/// <summary>
/// What a person sees on the Gateway's HTTP port: the web console at <c>/</c> (static files embedded in this assembly,
/// Console/README.md), the OpenAPI document of the JSON API at <c>/openapi/v1.json</c> (made from the proto HTTP rules)
/// and its reference page at <c>/openapi/</c>. None of it needs credentials; everything the console does is a call to
/// the public JSON API, which does.
/// </summary>
public static class WebConsole
{
    public const string OpenApiDocument = "/openapi/v1.json";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    // Scripts and styles from this origin only; photos are drawn from blob: URLs. Inline style attributes are allowed.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; " +
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    public static void AddOpenApi(IServiceCollection services)
    {
        services.AddGrpcSwagger();
        services.AddSwaggerGen(swagger =>
        {
            swagger.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "FaceMesh",
                Version = "v1",
                Description = "FaceMesh's public API as JSON over HTTP (gRPC JSON transcoding of facemesh.v1.FaceMeshApi; the " +
                              "same calls are served over gRPC). Credentials: an API key in the x-api-key header, or a JWT bearer token.",
            });
            var apiKey = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = Security.GatewayGuard.ApiKeyHeader,
                Description = "An API key (tools/facemesh keys new); the Gateway may also take a JWT bearer token.",
                Reference = new OpenApiReference { Type = ReferenceType.SecurityScheme, Id = "apiKey" },
            };
            swagger.AddSecurityDefinition("apiKey", apiKey);
            swagger.AddSecurityRequirement(new OpenApiSecurityRequirement { [apiKey] = [] });
        });
    }

    public static void Map(WebApplication app)
    {
        var hosts = app.HttpPortHosts();
        var assembly = typeof(WebConsole).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("console/", StringComparison.Ordinal)))
        {
            var file = resource["console/".Length..];
            var bytes = Read(assembly, resource);
            var contentType = ContentTypes.GetValueOrDefault(Path.GetExtension(file), "application/octet-stream");
            IResult Serve(HttpContext context)
            {
                context.Response.Headers.CacheControl = "no-cache";
                context.Response.Headers.XContentTypeOptions = "nosniff";
                context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
                return Results.Bytes(bytes, contentType);
            }
            app.MapGet("/" + file, Serve).RequireHost(hosts);
            if (file == "index.html")
                app.MapGet("/", Serve).RequireHost(hosts);
        }
        app.UseSwagger(swagger => swagger.RouteTemplate = "openapi/{documentName}.json");
        app.UseSwaggerUI(ui =>
        {
            ui.RoutePrefix = "openapi";
            ui.DocumentTitle = "FaceMesh API reference";
            ui.SwaggerEndpoint(OpenApiDocument, "FaceMesh v1");
        });
    }

    private static byte[] Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
