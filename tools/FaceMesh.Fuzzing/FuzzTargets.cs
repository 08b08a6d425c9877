using FaceMesh.Contracts.V1;
using FaceMesh.Gateway;
using FaceMesh.Imaging;
using Google.Protobuf;
using Grpc.Core;

namespace FaceMesh.Fuzzing;

/// <summary>
/// The fuzzing targets. Each takes arbitrary bytes and must either succeed or refuse them with FaceMesh's own
/// clear error; any other exception, a hang or a native crash is a finding (afl-fuzz keeps the input).
/// </summary>
public static class FuzzTargets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["image"] = Image,
        ["request"] = Request,
    };

    /// <summary>A photo as a caller sends it: decoded with the default limits, or refused with InvalidImageException.</summary>
    public static void Image(byte[] bytes)
    {
        try
        {
            var image = ImageDecoder.Decode(bytes);
            if (image.Width <= 0 || image.Height <= 0 || image.Pixels.Length != image.Width * image.Height * 3)
                throw new InvalidOperationException($"Decoded a {image.Width}x{image.Height} image with {image.Pixels.Length} bytes of pixels.");
        }
        catch (InvalidImageException)
        {
        }
    }

    // Made on first use, inside the fuzzing loop: instrumented code run before SharpFuzz set up its coverage map would crash.
    private static MessageParser[]? _parsers;
    private static GatewayOptions? _defaults;

    private static MessageParser[] Parsers => _parsers ??=
    [
        EnrollRequest.Parser, VerifyRequest.Parser, IdentifyRequest.Parser, DeleteSubjectRequest.Parser,
        GetSubjectRequest.Parser, ListSubjectsRequest.Parser, DetectRequest.Parser,
    ];

    private static GatewayOptions Defaults => _defaults ??= new();

    /// <summary>
    /// A public request as the Gateway receives it: the first byte picks the RPC, the rest is its protobuf message.
    /// It must parse or be refused as malformed, pass the Gateway's checks or be refused with INVALID_ARGUMENT, and
    /// every photo in it must decode or be refused.
    /// </summary>
    public static void Request(byte[] bytes)
    {
        if (bytes.Length == 0)
            return;
        IMessage message;
        try
        {
            message = Parsers[bytes[0] % Parsers.Length].ParseFrom(bytes.AsSpan(1));
        }
        catch (InvalidProtocolBufferException)
        {
            return;
        }
        try
        {
            RequestChecks.Check(message, Defaults);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument && e.Status.Detail.Length > 0)
        {
            return;
        }
        foreach (var photo in Photos(message))
            Image(photo.Content.ToByteArray());
    }

    /// <summary>One seed per RPC and photo: the RPC's byte, then a well-formed request carrying the photo.</summary>
    public static int WriteRequestSeeds(string photoDirectory, string outputDirectory)
    {
        Directory.CreateDirectory(outputDirectory);
        int written = 0;
        foreach (var file in Directory.GetFiles(photoDirectory).Order(StringComparer.Ordinal))
        {
            var photo = new Contracts.V1.Image { Content = ByteString.CopyFrom(File.ReadAllBytes(file)) };
            IMessage[] requests =
            [
                new EnrollRequest { Gallery = "staff", SubjectId = "s1", Photos = { new EnrollPhoto { Image = photo, FaceIndex = 0 } }, WaitUntilSearchable = true },
                new VerifyRequest { Probe = photo, ReferenceSubject = new EnrolledSubject { Gallery = "staff", SubjectId = "s1" }, Far = 1e-3 },
                new IdentifyRequest { Image = photo, Gallery = "staff", TopK = 5 },
                new DeleteSubjectRequest { Gallery = "staff", SubjectId = "s1" },
                new GetSubjectRequest { Gallery = "staff", SubjectId = "s1" },
                new ListSubjectsRequest { Gallery = "staff", PageSize = 10, PageToken = "s0" },
                new DetectRequest { Image = photo },
            ];
            foreach (var (request, kind) in requests.Select((r, i) => (r, i)))
                File.WriteAllBytes(Path.Combine(outputDirectory, $"{Path.GetFileNameWithoutExtension(file)}-{request.Descriptor.Name}"), [(byte)kind, .. request.ToByteArray()]);
            written += requests.Length;
        }
        return written;
    }

    private static IEnumerable<Contracts.V1.Image> Photos(IMessage message) => message switch
    {
        EnrollRequest r => r.Photos.Select(p => p.Image).Where(i => i is not null),
        VerifyRequest r => new[] { r.Probe, r.ReferenceImage }.Where(i => i is not null),
        IdentifyRequest r => r.Image is null ? [] : [r.Image],
        DetectRequest r => r.Image is null ? [] : [r.Image],
        _ => [],
    };
}
