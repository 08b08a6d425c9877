using FaceMesh.Hosting;
using FaceMesh.Matching;
using FaceMesh.Matching.Embedded;
using FaceMesh.Matching.Qdrant;
using FaceMesh.Messaging;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace FaceMesh.Matcher;

/// <summary>What the Matcher process hosts; <c>Program</c> runs it, tests start it on loopback.</summary>
public static class MatcherHost
{
    public static WebApplication Build(string[] args)
    {
        var builder = ServiceDefaults.CreateBuilder(args, "facemesh-matcher");
        builder.RequireFleetToken<MatcherGrpcService>();
        builder.AddValidatedOptions<MatcherOptions>(MatcherOptions.Section);
        builder.AddValidatedOptions<BusOptions>(BusOptions.Section);
        builder.Services.AddSingleton<IVectorStore>(services =>
        {
            var options = services.GetRequiredService<IOptions<MatcherOptions>>().Value;
            var log = services.GetRequiredService<ILogger<IVectorStore>>();
            return options.Store == "Qdrant"
                ? new QdrantVectorStore(options.Qdrant)
                : new EmbeddedVectorStore(options.Embedded, message => log.LogInformation("{Message}", LogText.Safe(message, 1000)));
        });
        builder.Services.AddSingleton<GalleryChanges>();
        builder.Services.AddSingleton<GalleryWriter>();
        builder.Services.AddSingleton<People.PeopleBook>();
        builder.Services.Configure<ErrorStatusMap>(errors => errors
            .Map<GalleryNotFoundException>(StatusCode.NotFound)
            .Map<SubjectNotFoundException>(StatusCode.NotFound)
            .Map<ModelMismatchException>(StatusCode.FailedPrecondition)
            .Map<People.PersonNotFoundException>(StatusCode.NotFound)
            .Map<People.PeopleFaceNotFoundException>(StatusCode.NotFound)
            .Map<People.PhotoNotFoundException>(StatusCode.NotFound)
            .Map<People.PeopleConflictException>(StatusCode.FailedPrecondition)
            .Map<ArgumentException>(StatusCode.InvalidArgument)
            .Map<StoreUnavailableException>(StatusCode.Unavailable));
        builder.Services.AddSingleton<StoreRetry>();
        builder.Services.AddSingleton(MatcherMetrics.Shared);
        var bus = FaceMeshBus.ReadOptions(builder.Configuration);
        if (bus.Enabled)
            builder.Services.AddFaceMeshBus(bus, consumers =>
            {
                consumers.AddConsumer<FaceEnrolledConsumer>().Endpoint(e => e.Name = bus.Queue);
                consumers.AddConsumer<SubjectDeletedConsumer>().Endpoint(e => e.Name = bus.Queue);
                consumers.AddConsumer<PeopleChangedConsumer>().Endpoint(e => e.Name = bus.Queue);
            }, typeof(ModelMismatchException), typeof(ArgumentException));

        var app = builder.Build();
        app.MapGrpcService<MatcherGrpcService>();
        app.LogFleetTrust("the Matcher");
        app.MapFaceMeshEndpoints();
        // The galleries are restored (the embedded store's snapshot and log) before the service reports ready.
        if (app.Services.GetRequiredService<IVectorStore>() is EmbeddedVectorStore embedded)
        {
            MatcherMetrics.Shared.Observe(embedded);
            app.Lifetime.ApplicationStopped.Register(() => MatcherMetrics.Shared.Forget(embedded));
        }
        app.Services.GetRequiredService<Readiness>().MarkReady();
        return app;
    }
}
