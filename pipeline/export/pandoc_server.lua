-- One pandoc process converting many documents (pipeline/export/pandoc_server.py).
-- Each stdin line is a JSON request {"ast": "<pandoc JSON>", "to": "docx", "out": PATH,
-- "ref": REFERENCE_DOC or null}; each answer is one line, "ok" or "error: <message>".
for line in io.lines() do
  local ok, err = pcall(function()
    local req = pandoc.json.decode(line, false)
    local doc = pandoc.read(req.ast, 'json')
    local options = {}
    if req.ref then options.reference_doc = req.ref end
    local bytes = pandoc.write(doc, req.to, options)
    local file = assert(io.open(req.out, 'wb'))
    file:write(bytes)
    file:close()
  end)
  if ok then
    io.write('ok\n')
  else
    io.write('error: ' .. tostring(err):gsub('[\r\n]+', ' ') .. '\n')
  end
  io.stdout:flush()
end
