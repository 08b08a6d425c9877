using FaceMesh.Messaging;
using FaceMesh.Messaging.V1;

namespace FaceMesh.Unit.Tests;

/// <summary>A consumer's checks of an event, case by case (the bus test sends the ones JSON can carry).</summary>
public sealed class EventChecksTests
{
    private static FaceEnrolled Good() => new()
    {
        Tenant = "t", Gallery = "g", SubjectId = "s", FaceId = "f", ModelId = "m", Embedding = [0.6f, 0.8f], Quality = 0.5f, EnrolledAt = DateTimeOffset.UtcNow,
    };

    [Fact]
    public void A_well_formed_event_passes_and_each_fault_is_named()
    {
        EventChecks.Check(Good());
        var cases = new (FaceEnrolled Event, string Message)[]
        {
            (Good() with { Embedding = [float.NaN, 1f] }, "embedding value 0 is NaN"),
            (Good() with { Embedding = [float.PositiveInfinity, 0f] }, "must be finite"),
            (Good() with { Embedding = [3f, 4f] }, "length is 5"),
            (Good() with { Embedding = [] }, "0 values"),
            (Good() with { Embedding = new float[9000] }, "9000 values"),
            (Good() with { Gallery = "a\nb" }, "gallery contains the control character U+000A"),
            (Good() with { SubjectId = new string('s', 257) }, "subject is 257 characters"),
            (Good() with { Tenant = "" }, "no tenant"),
            (Good() with { Quality = float.NaN }, "quality NaN"),
        };
        foreach (var (e, message) in cases)
            Assert.Contains(message, Assert.Throws<InvalidEventException>(() => EventChecks.Check(e)).Message);
        Assert.Contains("no subject", Assert.Throws<InvalidEventException>(() => EventChecks.Check(new SubjectDeleted { Tenant = "t", Gallery = "g", SubjectId = " " })).Message);
        Assert.IsAssignableFrom<ArgumentException>(new InvalidEventException("x")); // permanent: no retries
    }
}
