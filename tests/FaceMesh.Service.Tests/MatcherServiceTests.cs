using FaceMesh.Contracts.V1;
using FaceMesh.Matcher;
using Grpc.Core;

namespace FaceMesh.Service.Tests;

/// <summary>The Matcher service on real sockets, with real embeddings of the examples photos.</summary>
[Collection(PipelineCollection.Name)]
public sealed class MatcherServiceTests(PipelineFixture fixture)
{
    private static readonly GalleryRef Staff = new() { Tenant = "tenant-a", Gallery = "staff" };

    private Contracts.V1.Embedding Embed(string photo) =>
        new() { Values = { fixture.EmbedPrimary(TestPaths.Example(photo)) }, ModelId = fixture.Pipeline.ModelId };

    private async Task<MatcherService.MatcherServiceClient> Enrolled(LoopbackService service)
    {
        var client = new MatcherService.MatcherServiceClient(service.Channel);
        foreach (var (subject, photo) in new[] { ("obama", "obama.jpg"), ("obama", "obama2.jpg"), ("biden", "biden.jpg") })
            await client.UpsertFacesAsync(new UpsertFacesRequest
            {
                Gallery = Staff, SubjectId = subject, Faces = { new StoredFace { FaceId = $"{subject}/{photo}", Embedding = Embed(photo), Quality = 0.9f } },
            });
        return client;
    }

    [Fact]
    public async Task Search_compare_page_and_stats_over_grpc()
    {
        await using var service = await LoopbackService.Start(MatcherHost.Build);
        var client = await Enrolled(service);

        var search = await client.SearchAsync(new SearchRequest { Gallery = Staff, TopK = 2, Queries = { Embed("obama_small.jpg") } });
        Assert.Equal(3, search.GallerySize);
        var best = search.Results.Single().Matches;
        Assert.Equal(["obama", "biden"], best.Select(m => m.SubjectId).ToArray());
        Assert.True(best[0].Score >= fixture.Pipeline.Thresholds.At(1e-3));

        var compare = await client.CompareAsync(new CompareRequest { Gallery = Staff, SubjectId = "biden", Embedding = Embed("obama-480p.jpg") });
        Assert.True(compare.Score < fixture.Pipeline.Thresholds.At(1e-3));
        Assert.Equal("biden/biden.jpg", compare.FaceId);

        var page = await client.PageSubjectsAsync(new PageSubjectsRequest { Gallery = Staff, PageSize = 1 });
        Assert.Equal("biden", page.Subjects.Single().SubjectId);
        var next = await client.PageSubjectsAsync(new PageSubjectsRequest { Gallery = Staff, PageSize = 1, PageToken = page.NextPageToken });
        Assert.Equal(["obama/obama.jpg", "obama/obama2.jpg"], next.Subjects.Single().FaceIds.ToArray());

        var stats = await client.GetGalleryStatsAsync(new GetGalleryStatsRequest { Gallery = Staff });
        Assert.Equal((2L, 3L, fixture.Pipeline.ModelId), (stats.Subjects, stats.Faces, stats.ModelId));
        var galleries = await client.ListTenantGalleriesAsync(new ListTenantGalleriesRequest { Tenant = "tenant-b" });
        Assert.Empty(galleries.Galleries);

        var removed = await client.RemoveSubjectAsync(new RemoveSubjectRequest { Gallery = Staff, SubjectId = "obama" });
        Assert.Equal(2, removed.DeletedFaces);
        var after = await client.SearchAsync(new SearchRequest { Gallery = Staff, TopK = 5, Queries = { Embed("obama_small.jpg") } });
        Assert.Equal(["biden"], after.Results.Single().Matches.Select(m => m.SubjectId).ToArray());
    }

    [Fact]
    public async Task Errors_map_to_status_codes_with_a_message()
    {
        await using var service = await LoopbackService.Start(MatcherHost.Build);
        var client = await Enrolled(service);

        async Task<RpcException> Fails(Func<Task> call) => await Assert.ThrowsAsync<RpcException>(call);

        var unknownGallery = await Fails(async () => await client.SearchAsync(new SearchRequest
        { Gallery = new GalleryRef { Tenant = "tenant-a", Gallery = "visitors" }, TopK = 1, Queries = { Embed("biden.jpg") } }));
        Assert.Equal(StatusCode.NotFound, unknownGallery.StatusCode);
        Assert.Contains("'visitors' does not exist", unknownGallery.Status.Detail);

        var otherTenant = await Fails(async () => await client.SearchAsync(new SearchRequest
        { Gallery = new GalleryRef { Tenant = "tenant-b", Gallery = "staff" }, TopK = 1, Queries = { Embed("biden.jpg") } }));
        Assert.Equal(StatusCode.NotFound, otherTenant.StatusCode);

        var unknownSubject = await Fails(async () => await client.RemoveSubjectAsync(new RemoveSubjectRequest { Gallery = Staff, SubjectId = "nobody" }));
        Assert.Equal(StatusCode.NotFound, unknownSubject.StatusCode);

        var otherModel = Embed("biden.jpg");
        otherModel.ModelId = "my-own-model";
        var mismatch = await Fails(async () => await client.SearchAsync(new SearchRequest { Gallery = Staff, TopK = 1, Queries = { otherModel } }));
        Assert.Equal(StatusCode.FailedPrecondition, mismatch.StatusCode);
        Assert.Contains("my-own-model", mismatch.Status.Detail);

        var badTopK = await Fails(async () => await client.SearchAsync(new SearchRequest { Gallery = Staff, TopK = 0, Queries = { Embed("biden.jpg") } }));
        Assert.Equal(StatusCode.InvalidArgument, badTopK.StatusCode);
        Assert.Contains("between 1 and 100", badTopK.Status.Detail);
    }
}
