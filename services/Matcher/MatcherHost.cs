using FaceMesh.Hosting;
using FaceMesh.Matching;

namespace FaceMesh.Matcher;

/// <summary>What the Matcher process hosts; <c>Program</c> runs it, tests start it on loopback.</summary>
public static class MatcherHost
{
    public static WebApplication Build(string[] args)
    {
        var builder = FaceMeshService.CreateBuilder(args, "facemesh-matcher");
        builder.Services.AddSingleton<GalleryCatalog>();

        var app = builder.Build();
        app.MapGrpcService<MatcherGrpcService>();
        app.MapFaceMeshEndpoints();
        // The in-memory store has nothing to load: ready at once.
        app.Services.GetRequiredService<Readiness>().MarkReady();
        return app;
    }
}
