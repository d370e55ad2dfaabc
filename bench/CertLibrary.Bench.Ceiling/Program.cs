// The ceiling of the HTTP figures: the same host builder and Kestrel as the API, answering a constant JSON
// document to any GET or POST, with no authentication, storage or signing. The bench driver loads it with the
// very requests it sends to the API, in the same run, so that the API's figures are read as fractions of it.
//
// With CERTLIB_CEILING_LOOKUP_ANSWER naming a file, POST /api/v1/holders/lookup answers that file's bytes (the
// driver saves a real lookup answer there): the ceiling for an answer of that size, which the client must receive
// and read just as it reads the API's.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

var constant = new { status = "ok", service = "ceiling" };
if (Environment.GetEnvironmentVariable("CERTLIB_CEILING_LOOKUP_ANSWER") is { Length: > 0 } answerFile)
{
    var answer = await File.ReadAllBytesAsync(answerFile);
    app.MapPost("/api/v1/holders/lookup", () => TypedResults.Bytes(answer, "application/json; charset=utf-8"));
}

app.MapGet("/{**path}", () => TypedResults.Ok(constant));
app.MapPost("/{**path}", () => TypedResults.Ok(constant));

await app.RunAsync();
