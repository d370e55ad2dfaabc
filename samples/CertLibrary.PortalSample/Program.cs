using CertLibrary.PortalSample;

await PortalApplication.Create(args).RunAsync();
