// The ceiling of the HTTP figures: the same host builder and Kestrel as the API, answering a constant JSON
// document to any GET or POST, with no authentication, storage or signing. The bench driver loads it with the
// very requests it sends to the API, in the same run, so that the API's figures are read as fractions of it.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

var constant = new { status = "ok", service = "ceiling" };
app.MapGet("/{**path}", () => TypedResults.Ok(constant));
app.MapPost("/{**path}", () => TypedResults.Ok(constant));

await app.RunAsync();
