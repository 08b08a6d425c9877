using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using FaceMesh.Contracts.V1;
using Google.Api;

namespace FaceMesh.SystemTests;

/// <summary>The Gateway's HTTP port as a person or a tool finds it: the console, the OpenAPI document, its reference page.</summary>
public sealed class OpenApiTests(LoopbackFleet fleet) : IClassFixture<LoopbackFleet>
{
    [Fact]
    public async Task The_openapi_document_describes_every_public_rpc_with_an_http_rule()
    {
        using var response = await fleet.Gateway.Http.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths");

        var rules = FaceMeshApi.Descriptor.Methods
            .Select(m => (Method: m, Rule: m.GetOptions()?.GetExtension(AnnotationsExtensions.Http)))
            .Where(r => r.Rule is not null)
            .ToArray();
        Assert.Equal(FaceMeshApi.Descriptor.Methods.Count, rules.Length); // every public RPC has a JSON route
        var missing = new List<string>();
        foreach (var (method, rule) in rules)
        {
            var (verb, path) = rule!.PatternCase switch
            {
                HttpRule.PatternOneofCase.Get => ("get", rule.Get),
                HttpRule.PatternOneofCase.Post => ("post", rule.Post),
                HttpRule.PatternOneofCase.Delete => ("delete", rule.Delete),
                HttpRule.PatternOneofCase.Put => ("put", rule.Put),
                HttpRule.PatternOneofCase.Patch => ("patch", rule.Patch),
                _ => throw new InvalidOperationException($"{method.Name}: HTTP rule {rule.PatternCase}"),
            };
            path = Regex.Replace(path, "{([a-z0-9_]+)}", p => "{" + ToJsonName(p.Groups[1].Value) + "}"); // route values by JSON name
            if (!paths.TryGetProperty(path, out var item) || !item.TryGetProperty(verb, out var operation))
                missing.Add($"{method.Name} ({verb.ToUpperInvariant()} {path})");
            else
                Assert.True(operation.TryGetProperty("responses", out var responses) && responses.TryGetProperty("200", out _),
                    $"{method.Name}: no 200 response in the document");
        }
        Assert.True(missing.Count == 0, "not in /openapi/v1.json: " + string.Join(", ", missing) +
                                        "; paths there: " + string.Join(", ", paths.EnumerateObject().Select(p => p.Name)));

        // Credentials: the API key header is declared, so the reference page can send it.
        var scheme = document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("apiKey");
        Assert.Equal(("apiKey", "header", "x-api-key"),
            (scheme.GetProperty("type").GetString(), scheme.GetProperty("in").GetString(), scheme.GetProperty("name").GetString()));

        // The messages are described too: Verify's request body names its fields.
        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");
        var verify = schemas.EnumerateObject().Single(s => s.Name.EndsWith("VerifyRequest", StringComparison.Ordinal)).Value;
        var fields = verify.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Contains("probe", fields);
        Assert.Contains("referenceImage", fields);
        Assert.Contains("requireLive", fields);
    }

    private static string ToJsonName(string field) =>
        Regex.Replace(field, "_([a-z0-9])", m => m.Groups[1].Value.ToUpperInvariant());

    [Fact]
    public async Task The_console_and_the_api_reference_are_served_without_credentials_and_the_api_is_not()
    {
        using var page = await fleet.Gateway.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("FaceMesh", html);
        Assert.Contains("console.js", html);
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());

        using var script = await fleet.Gateway.Http.GetAsync("/console.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/v1/verify", await script.Content.ReadAsStringAsync()); // the public JSON API, nothing private

        // The reference page (Swagger UI, its files inside the package: nothing from the internet), reading this document.
        using var reference = await fleet.Gateway.Http.GetAsync("/openapi/index.html");
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
        Assert.Contains("swagger-ui", await reference.Content.ReadAsStringAsync());
        using var referenceScript = await fleet.Gateway.Http.GetAsync("/openapi/index.js");
        Assert.Contains("/openapi/v1.json", await referenceScript.Content.ReadAsStringAsync());

        using var info = await fleet.Gateway.Http.GetAsync("/v1/info");
        Assert.Equal(HttpStatusCode.OK, info.StatusCode); // this fleet lets anonymous callers in; SecurityTests covers keys
        using var body = JsonDocument.Parse(await info.Content.ReadAsStringAsync());
        var model = body.RootElement.GetProperty("model");
        Assert.Equal("default", model.GetProperty("pack").GetString());
        Assert.False(string.IsNullOrEmpty(model.GetProperty("modelId").GetString()));
        Assert.True(model.GetProperty("thresholds").GetArrayLength() >= 2);
        Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("version").GetString()));
    }
}
