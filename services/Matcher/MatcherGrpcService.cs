using FaceMesh.Contracts.V1;
using FaceMesh.Matching;
using FaceMesh.Messaging.V1;
using Grpc.Core;

namespace FaceMesh.Matcher;

/// <summary>Translates gRPC to the <see cref="IVectorStore"/> and the <see cref="GalleryWriter"/>; the store's exceptions become status
/// codes in <see cref="FaceMesh.Hosting.ErrorStatusInterceptor"/> (the map is in <see cref="MatcherHost"/>).</summary>
public sealed class MatcherGrpcService(IVectorStore store, GalleryWriter writer, GalleryChanges changes, People.PeopleBook people)
    : MatcherService.MatcherServiceBase
{
    private const int MaxTopK = 100, DefaultPageSize = 100, MaxPageSize = 1000, MaxAwaitedFaces = 1000;
    private static readonly TimeSpan Recheck = TimeSpan.FromMilliseconds(50), MaxAwait = TimeSpan.FromSeconds(60);

    public override async Task<SearchResponse> Search(SearchRequest request, ServerCallContext context)
    {
        if (request.TopK is < 1 or > MaxTopK)
            throw new ArgumentException($"top_k is {request.TopK}; it must be between 1 and {MaxTopK}.");
        var key = Key(request.Gallery);
        var response = new SearchResponse();
        if (request.Queries.Count == 0)
            return response;
        string model = request.Queries[0].ModelId;
        if (request.Queries.Any(q => q.ModelId != model))
            throw new ArgumentException("Every query of one search must come from the same model.");
        using var span = MatcherMetrics.Source.StartActivity("search");
        span?.SetTag("facemesh.queries", request.Queries.Count);
        span?.SetTag("facemesh.top_k", request.TopK);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        var results = await store.SearchAsync(key, model, request.Queries.Select(q => q.Values.ToArray()).ToArray(), request.TopK, context.CancellationToken);
        MatcherMetrics.Shared.SearchDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
        foreach (var matches in results)
        {
            var result = new SearchResult();
            result.Matches.Add(matches.Select(m => new SearchMatch { SubjectId = m.SubjectId, FaceId = m.FaceId, Score = m.Score }));
            response.Results.Add(result);
        }
        response.GallerySize = await store.CountFacesAsync(key, context.CancellationToken);
        return response;
    }

    public override async Task<CompareResponse> Compare(CompareRequest request, ServerCallContext context)
    {
        var key = Key(request.Gallery);
        var faces = await store.GetSubjectAsync(key, request.SubjectId, context.CancellationToken);
        if (faces.Count == 0)
            throw new SubjectNotFoundException(key, request.SubjectId);
        if (faces[0].ModelId != request.Embedding.ModelId)
            throw new ModelMismatchException(key, faces[0].ModelId, request.Embedding.ModelId);
        var query = request.Embedding.Values.ToArray();
        if (query.Length != faces[0].Embedding.Length)
            throw new ArgumentException($"The embedding has {query.Length} values; gallery '{key.Gallery}' holds {faces[0].Embedding.Length}-d embeddings.");
        var best = faces.Select(f => (f.FaceId, Score: System.Numerics.Tensors.TensorPrimitives.Dot(query, f.Embedding)))
            .OrderByDescending(f => f.Score).First();
        return new CompareResponse { Score = best.Score, FaceId = best.FaceId };
    }

    public override async Task<UpsertFacesResponse> UpsertFaces(UpsertFacesRequest request, ServerCallContext context)
    {
        var key = Key(request.Gallery);
        var now = DateTimeOffset.UtcNow;
        await writer.UpsertAsync(request.Faces.Select(f => new FaceEnrolled
        {
            Tenant = key.Tenant, Gallery = key.Gallery, SubjectId = request.SubjectId, FaceId = f.FaceId,
            Embedding = f.Embedding?.Values.ToArray() ?? [], ModelId = f.Embedding?.ModelId ?? "", Quality = f.Quality, EnrolledAt = now,
        }).ToArray(), context.CancellationToken);
        var subject = await store.GetSubjectAsync(key, request.SubjectId, context.CancellationToken);
        return new UpsertFacesResponse { SubjectFaces = subject.Count };
    }

    public override async Task<RemoveSubjectResponse> RemoveSubject(RemoveSubjectRequest request, ServerCallContext context)
    {
        var key = Key(request.Gallery);
        var deletion = new SubjectDeleted { Tenant = key.Tenant, Gallery = key.Gallery, SubjectId = request.SubjectId };
        int removed = await writer.DeleteSubjectAsync(deletion, context.CancellationToken);
        if (removed == 0)
        {
            _ = await store.CountAsync(key, context.CancellationToken) ?? throw new GalleryNotFoundException(key);
            throw new SubjectNotFoundException(key, request.SubjectId);
        }
        return new RemoveSubjectResponse { DeletedFaces = removed };
    }

    public override async Task<StoredSubject> FindSubject(FindSubjectRequest request, ServerCallContext context)
    {
        var key = Key(request.Gallery);
        var faces = await store.GetSubjectAsync(key, request.SubjectId, context.CancellationToken);
        if (faces.Count == 0)
            throw new SubjectNotFoundException(key, request.SubjectId);
        return new StoredSubject { SubjectId = request.SubjectId, FaceIds = { faces.Select(f => f.FaceId) }, ModelId = faces[0].ModelId };
    }

    public override async Task<PageSubjectsResponse> PageSubjects(PageSubjectsRequest request, ServerCallContext context)
    {
        int size = PageSize(request.PageSize);
        var key = Key(request.Gallery);
        var info = await store.CountAsync(key, context.CancellationToken) ?? throw new GalleryNotFoundException(key);
        // The page token is the last subject id of the previous page.
        var page = await store.ListSubjectsAsync(key, string.IsNullOrEmpty(request.PageToken) ? null : request.PageToken, size, context.CancellationToken);
        var response = new PageSubjectsResponse { NextPageToken = page.Count == size ? page[^1].SubjectId : "" };
        response.Subjects.Add(page.Select(s => new StoredSubject { SubjectId = s.SubjectId, FaceIds = { s.FaceIds }, ModelId = info.ModelId }));
        return response;
    }

    public override async Task<ListTenantGalleriesResponse> ListTenantGalleries(ListTenantGalleriesRequest request,
        ServerCallContext context)
    {
        var response = new ListTenantGalleriesResponse();
        // A gallery's people space is the gallery's own business, not a gallery of its own.
        response.Galleries.Add((await store.ListGalleriesAsync(request.Tenant, context.CancellationToken))
            .Where(g => !People.PeopleBook.IsPeopleSpace(g.Key.Gallery)).Select(Stats));
        return response;
    }

    public override async Task<CheckModelResponse> CheckModel(CheckModelRequest request, ServerCallContext context)
    {
        var key = Key(request.Gallery);
        string bound = (await store.CountAsync(key, context.CancellationToken))?.ModelId ?? "";
        if (bound.Length > 0 && bound != request.ModelId)
            throw new ModelMismatchException(key, bound, request.ModelId);
        return new CheckModelResponse { BoundModelId = bound };
    }

    public override async Task<GalleryStats> GetGalleryStats(GetGalleryStatsRequest request, ServerCallContext context)
    {
        var key = Key(request.Gallery);
        return Stats(await store.CountAsync(key, context.CancellationToken) ?? throw new GalleryNotFoundException(key));
    }

    public override async Task<AwaitFacesResponse> AwaitFaces(AwaitFacesRequest request, ServerCallContext context)
    {
        var key = Key(request.Gallery);
        if (request.FaceIds.Count > MaxAwaitedFaces)
            throw new ArgumentException($"{request.FaceIds.Count} face ids; at most {MaxAwaitedFaces} can be awaited at once.");
        // Answer a little before the caller's deadline, so it gets `pending` rather than DEADLINE_EXCEEDED.
        var until = AnswerBy(context);
        string[] pending = request.FaceIds.Distinct().ToArray();
        try
        {
            while (true)
            {
                // The wake-up is armed before the check: a change right after the check still wakes us.
                var next = request.Absent
                    ? changes.NextDeletion(Recheck, context.CancellationToken)
                    : changes.NextStored(key, pending, Recheck, context.CancellationToken);
                var present = await store.ContainsFacesAsync(key, pending, context.CancellationToken);
                pending = request.Absent ? present.ToArray() : pending.Except(present).ToArray();
                var remaining = Remaining(until, DateTime.UtcNow);
                if (pending.Length == 0 || remaining == TimeSpan.Zero)
                    return new AwaitFacesResponse { Done = pending.Length == 0, Pending = { pending } };
                await Task.WhenAny(next, Task.Delay(remaining, context.CancellationToken));
            }
        }
        finally
        {
            if (!request.Absent)
                changes.Forget(key, pending);
        }
    }

    public override async Task<PeopleChangeResponse> ChangePeople(PeopleChange request, ServerCallContext context)
    {
        var result = await people.ApplyAsync(request, context.CancellationToken);
        return result.ErrorCode == 0 ? result : throw new RpcException(new Status((StatusCode)result.ErrorCode, result.Error));
    }

    public override async Task<PeopleChangeResponse> CheckPeopleChange(PeopleChange request, ServerCallContext context)
    {
        await people.CheckAsync(request, context.CancellationToken);
        return new PeopleChangeResponse();
    }

    public override async Task<AwaitPeopleChangeResponse> AwaitPeopleChange(AwaitPeopleChangeRequest request, ServerCallContext context)
    {
        var result = await people.AwaitAsync(Key(request.Gallery), request.ChangeId, AnswerBy(context), context.CancellationToken);
        return result is null ? new AwaitPeopleChangeResponse() : new AwaitPeopleChangeResponse { Done = true, Result = result };
    }

    public override Task<ListPeopleResponse> PagePeople(PagePeopleRequest request, ServerCallContext context)
    {
        int size = PageSize(request.PageSize);
        return people.PageAsync(Key(request.Gallery), size, request.PageToken, request.IncludeSingleFaces, context.CancellationToken);
    }

    public override Task<Person> FindPerson(FindPersonRequest request, ServerCallContext context) =>
        people.FindAsync(Key(request.Gallery), request.PersonId, context.CancellationToken);

    public override Task<PhotoPeople> FindPhotoPeople(FindPhotoPeopleRequest request, ServerCallContext context) =>
        people.PhotoAsync(Key(request.Gallery), request.PhotoId, context.CancellationToken);

    private static int PageSize(int requested)
    {
        int size = requested == 0 ? DefaultPageSize : requested;
        return size is < 1 or > MaxPageSize
            ? throw new ArgumentException($"page_size is {requested}; it must be between 1 and {MaxPageSize} (0 for {DefaultPageSize}).")
            : size;
    }

    /// <summary>When a wait must answer "not yet": a little before the caller's deadline (at most a minute from now).</summary>
    private static DateTime AnswerBy(ServerCallContext context)
    {
        var until = DateTime.UtcNow + MaxAwait;
        if (context.Deadline != DateTime.MaxValue)
        {
            // Answer "not yet" before the caller's deadline, with room for the answer to travel on a busy machine:
            // a tenth of the time allowed, at least 250 ms, at most 1 s.
            var allowed = context.Deadline.ToUniversalTime() - DateTime.UtcNow;
            var margin = TimeSpan.FromTicks(Math.Clamp(allowed.Ticks / 10, TimeSpan.FromMilliseconds(250).Ticks, TimeSpan.FromSeconds(1).Ticks));
            until = new DateTime(Math.Min(until.Ticks, context.Deadline.ToUniversalTime().Ticks - margin.Ticks), DateTimeKind.Utc);
        }
        return until;
    }

    /// <summary>Time left until <paramref name="until"/>, never negative (the clock moves between the check and the wait).</summary>
    public static TimeSpan Remaining(DateTime until, DateTime now) => until > now ? until - now : TimeSpan.Zero;

    private static GalleryStats Stats(GalleryInfo g) => new()
    {
        Gallery = new GalleryRef { Tenant = g.Key.Tenant, Gallery = g.Key.Gallery },
        ModelId = g.ModelId,
        Subjects = g.Subjects,
        Faces = g.Faces,
    };

    private static GalleryKey Key(GalleryRef? gallery)
    {
        if (gallery is null || string.IsNullOrEmpty(gallery.Tenant) || string.IsNullOrEmpty(gallery.Gallery))
            throw new ArgumentException("gallery must name a tenant and a gallery.");
        return new GalleryKey(gallery.Tenant, gallery.Gallery);
    }
}
