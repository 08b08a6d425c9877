using FaceMesh.Contracts.V1;
using FaceMesh.Matching;
using Grpc.Core;

namespace FaceMesh.Matcher;

/// <summary>Translates gRPC to the <see cref="GalleryStore"/> (writes) and its catalog (reads), and their exceptions to status codes.</summary>
public sealed class MatcherGrpcService(GalleryStore store) : Contracts.V1.Matcher.MatcherBase
{
    private GalleryCatalog Catalog => store.Catalog;

    private const int MaxTopK = 100, DefaultPageSize = 100, MaxPageSize = 1000;

    public override Task<SearchResponse> Search(SearchRequest request, ServerCallContext context) => Translate(() =>
    {
        if (request.TopK is < 1 or > MaxTopK)
            throw new ArgumentException($"top_k is {request.TopK}; it must be between 1 and {MaxTopK}.");
        var gallery = Catalog.Get(Key(request.Gallery));
        var response = new SearchResponse { GallerySize = gallery.FaceCount };
        foreach (var query in request.Queries)
        {
            var result = new SearchResult();
            result.Matches.Add(gallery.Search(query.Values.ToArray(), query.ModelId, request.TopK)
                .Select(m => new SearchMatch { SubjectId = m.SubjectId, FaceId = m.FaceId, Score = m.Score }));
            response.Results.Add(result);
        }
        return response;
    });

    public override Task<CompareResponse> Compare(CompareRequest request, ServerCallContext context) => Translate(() =>
    {
        var match = Catalog.Get(Key(request.Gallery)).Compare(request.Embedding.Values.ToArray(), request.Embedding.ModelId, request.SubjectId);
        return new CompareResponse { Score = match.Score, FaceId = match.FaceId };
    });

    public override Task<UpsertFacesResponse> UpsertFaces(UpsertFacesRequest request, ServerCallContext context) => Translate(() =>
    {
        if (string.IsNullOrEmpty(request.SubjectId))
            throw new ArgumentException("subject_id is empty; name the subject the faces belong to.");
        var gallery = store.Upsert(Key(request.Gallery),
            request.Faces.Select(f => new Matching.EnrolledFace(f.FaceId, request.SubjectId, f.Embedding.Values.ToArray(), f.Embedding.ModelId, f.Quality)).ToArray());
        return new UpsertFacesResponse { SubjectFaces = gallery.FacesOf(request.SubjectId)?.Count ?? 0 };
    });

    public override Task<RemoveSubjectResponse> RemoveSubject(RemoveSubjectRequest request, ServerCallContext context) => Translate(() =>
    {
        var key = Key(request.Gallery);
        int removed = store.DeleteSubject(key, request.SubjectId);
        return removed == 0 ? throw new SubjectNotFoundException(key, request.SubjectId) : new RemoveSubjectResponse { DeletedFaces = removed };
    });

    public override Task<StoredSubject> FindSubject(FindSubjectRequest request, ServerCallContext context) => Translate(() =>
    {
        var key = Key(request.Gallery);
        var gallery = Catalog.Get(key);
        var faces = gallery.FacesOf(request.SubjectId) ?? throw new SubjectNotFoundException(key, request.SubjectId);
        return new StoredSubject { SubjectId = request.SubjectId, FaceIds = { faces }, ModelId = gallery.ModelId ?? "" };
    });

    public override Task<PageSubjectsResponse> PageSubjects(PageSubjectsRequest request, ServerCallContext context) => Translate(() =>
    {
        int size = request.PageSize == 0 ? DefaultPageSize : request.PageSize;
        if (size is < 1 or > MaxPageSize)
            throw new ArgumentException($"page_size is {request.PageSize}; it must be between 1 and {MaxPageSize} (0 for {DefaultPageSize}).");
        var gallery = Catalog.Get(Key(request.Gallery));
        // The page token is the last subject id of the previous page.
        var page = gallery.Subjects(string.IsNullOrEmpty(request.PageToken) ? null : request.PageToken, size);
        var response = new PageSubjectsResponse { NextPageToken = page.Count == size ? page[^1].SubjectId : "" };
        response.Subjects.Add(page.Select(s => new StoredSubject { SubjectId = s.SubjectId, FaceIds = { s.FaceIds }, ModelId = gallery.ModelId ?? "" }));
        return response;
    });

    public override Task<ListTenantGalleriesResponse> ListTenantGalleries(ListTenantGalleriesRequest request, ServerCallContext context) => Translate(() =>
    {
        var response = new ListTenantGalleriesResponse();
        response.Galleries.Add(Catalog.OfTenant(request.Tenant).Select(Stats));
        return response;
    });

    public override Task<GalleryStats> GetGalleryStats(GetGalleryStatsRequest request, ServerCallContext context) =>
        Translate(() => Stats(Catalog.Get(Key(request.Gallery))));

    private static GalleryStats Stats(GalleryIndex g) => new()
    {
        Gallery = new GalleryRef { Tenant = g.Key.Tenant, Gallery = g.Key.Gallery },
        ModelId = g.ModelId ?? "",
        Subjects = g.SubjectCount,
        Faces = g.FaceCount,
    };

    private static GalleryKey Key(GalleryRef? gallery)
    {
        if (gallery is null || string.IsNullOrEmpty(gallery.Tenant) || string.IsNullOrEmpty(gallery.Gallery))
            throw new ArgumentException("gallery must name a tenant and a gallery.");
        return new GalleryKey(gallery.Tenant, gallery.Gallery);
    }

    private static Task<T> Translate<T>(Func<T> call)
    {
        try
        {
            return Task.FromResult(call());
        }
        catch (Exception e) when (e is GalleryNotFoundException or SubjectNotFoundException)
        {
            throw new RpcException(new Status(StatusCode.NotFound, e.Message));
        }
        catch (ModelMismatchException e)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message));
        }
        catch (ArgumentException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
    }
}
