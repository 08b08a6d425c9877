using FaceMesh.Hosting;
using FaceMesh.Matching;

namespace FaceMesh.Matcher;

/// <summary>What the Matcher process hosts; <c>Program</c> runs it, tests start it on loopback.</summary>
public static class MatcherHost
{
    public static WebApplication Build(string[] args)
    {
        var builder = FaceMeshService.CreateBuilder(args, "facemesh-matcher");
        builder.AddValidatedOptions<MatcherOptions>(MatcherOptions.Section);
        builder.Services.AddSingleton(services => new GalleryStore(
            services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MatcherOptions>>().Value.DataDirectory,
            message => services.GetRequiredService<ILogger<GalleryStore>>().LogInformation("{Message}", message)));
        builder.Services.AddSingleton(services => services.GetRequiredService<GalleryStore>().Catalog);

        var app = builder.Build();
        app.MapGrpcService<MatcherGrpcService>();
        app.MapFaceMeshEndpoints();
        // The galleries are restored from the log (if any) before the service reports ready.
        app.Services.GetRequiredService<GalleryStore>();
        app.Services.GetRequiredService<Readiness>().MarkReady();
        return app;
    }
}
