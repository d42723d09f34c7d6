GREETING = "hello from the embedded folder"
