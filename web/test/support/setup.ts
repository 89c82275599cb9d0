// Tests never send real pushes or mail unless a test points them somewhere.
process.env.SOCKET_SERVER_URL ??= "http://127.0.0.1:9";
// Expected failures (pushes to absent servers) would otherwise fill the output with warnings.
process.env.LOG_LEVEL ??= "error";
