namespace CertLibrary.PortalSample;

/// <summary>Entry point (a named class: the tests host the portal next to the Api, whose top-level <c>Program</c> must stay unique).</summary>
internal static class Program
{
    private static Task Main(string[] args) => PortalApplication.Create(args).RunAsync();
}
