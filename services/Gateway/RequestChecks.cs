using FaceMesh.Contracts.V1;
using Grpc.Core;

namespace FaceMesh.Gateway;

/// <summary>
/// What the Gateway checks in a request before any work: names (gallery, subject) of at most
/// <see cref="GatewayOptions.MaxNameLength"/> printable characters, and the counts a caller sets (top_k, page_size,
/// photos) within their limits. A refused request gets INVALID_ARGUMENT naming the field, the value and the limit.
/// </summary>
public static class RequestChecks
{
    public static void Name(string value, string field, GatewayOptions options)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw Invalid($"{field} is required.");
        if (value.Length > options.MaxNameLength)
            throw Invalid($"{field} is {value.Length} characters; at most {options.MaxNameLength} are allowed.");
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++; // a well-formed pair (e.g. an emoji) is fine
                continue;
            }
            if (char.IsControl(c) || char.IsSurrogate(c))
                throw Invalid($"{field} contains a control or malformed character (U+{(int)c:X4}) at position {i}; use printable characters.");
        }
    }

    public static int TopK(int requested, GatewayOptions options)
    {
        int topK = requested == 0 ? 5 : requested;
        if (topK < 1 || topK > options.MaxTopK)
            throw Invalid($"top_k is {requested}; it must be between 1 and {options.MaxTopK} (0 for 5).");
        return topK;
    }

    public static void PageSize(int requested, GatewayOptions options)
    {
        if (requested < 0 || requested > options.MaxPageSize)
            throw Invalid($"page_size is {requested}; it must be between 1 and {options.MaxPageSize} (0 for the default).");
    }

    public static void Photos(int count, GatewayOptions options)
    {
        if (count == 0 || count > options.MaxPhotosPerEnroll)
            throw Invalid($"{count} photos; an enrollment takes 1 to {options.MaxPhotosPerEnroll}.");
    }

    /// <summary>Every check that needs no other service, for a request of any public RPC (the fuzzing harness runs these).</summary>
    public static void Check(object request, GatewayOptions options)
    {
        switch (request)
        {
            case EnrollRequest r:
                Name(r.Gallery, "gallery", options);
                Name(r.SubjectId, "subject_id", options);
                Photos(r.Photos.Count, options);
                break;
            case IdentifyRequest r:
                Name(r.Gallery, "gallery", options);
                TopK(r.TopK, options);
                break;
            case VerifyRequest { ReferenceCase: VerifyRequest.ReferenceOneofCase.ReferenceSubject } r:
                Name(r.ReferenceSubject.Gallery, "reference_subject.gallery", options);
                Name(r.ReferenceSubject.SubjectId, "reference_subject.subject_id", options);
                break;
            case DeleteSubjectRequest r:
                Name(r.Gallery, "gallery", options);
                Name(r.SubjectId, "subject_id", options);
                break;
            case GetSubjectRequest r:
                Name(r.Gallery, "gallery", options);
                Name(r.SubjectId, "subject_id", options);
                break;
            case ListSubjectsRequest r:
                Name(r.Gallery, "gallery", options);
                PageSize(r.PageSize, options);
                break;
            case AddPhotosRequest r:
                Name(r.Gallery, "gallery", options);
                if (r.Photos.Count == 0 || r.Photos.Count > options.MaxPhotosPerEnroll)
                    throw Invalid($"{r.Photos.Count} photos; AddPhotos takes 1 to {options.MaxPhotosPerEnroll}.");
                for (int i = 0; i < r.Photos.Count; i++)
                    Name(r.Photos[i].PhotoId, $"photos[{i}].photo_id", options);
                if (r.Photos.GroupBy(p => p.PhotoId).FirstOrDefault(g => g.Count() > 1) is { } twice)
                    throw Invalid($"photo_id '{twice.Key}' is given {twice.Count()} times; each photo needs an id of its own.");
                break;
            case ListPeopleRequest r:
                Name(r.Gallery, "gallery", options);
                PageSize(r.PageSize, options);
                break;
            case GetPersonRequest r:
                Name(r.Gallery, "gallery", options);
                Name(r.PersonId, "person_id", options);
                break;
            case GetPhotoPeopleRequest r:
                Name(r.Gallery, "gallery", options);
                Name(r.PhotoId, "photo_id", options);
                break;
            case MergePeopleRequest r:
                Name(r.Gallery, "gallery", options);
                Name(r.PersonId, "person_id", options);
                if (r.OtherPersonIds.Count == 0 || r.OtherPersonIds.Count > options.MaxPageSize)
                    throw Invalid(
                        $"other_person_ids has {r.OtherPersonIds.Count} ids; name 1 to {options.MaxPageSize} people to merge.");
                foreach (var other in r.OtherPersonIds)
                    Name(other, "other_person_ids", options);
                break;
            case MoveFaceRequest r:
                Name(r.Gallery, "gallery", options);
                Name(r.FaceId, "face_id", options);
                if (r.PersonId.Length > 0)
                    Name(r.PersonId, "person_id", options);
                break;
            case NotThisPersonRequest r:
                Name(r.Gallery, "gallery", options);
                Name(r.PersonId, "person_id", options);
                Name(r.FaceId, "face_id", options);
                break;
            case NamePersonRequest r:
                Name(r.Gallery, "gallery", options);
                Name(r.PersonId, "person_id", options);
                Name(r.SubjectId, "subject_id", options);
                break;
            case DeletePersonRequest r:
                Name(r.Gallery, "gallery", options);
                Name(r.PersonId, "person_id", options);
                break;
            case RegroupPeopleRequest r:
                Name(r.Gallery, "gallery", options);
                break;
        }
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
