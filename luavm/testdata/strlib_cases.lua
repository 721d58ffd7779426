-- string pattern, rep and table.concat cases; strlib_peer.txt is what
-- nginx + lua-nginx-module (LuaJIT) says for each (goresty words two
-- argument errors differently: those lines are left out there)
local cases = {
 [[string.find("abc", "", 10)]], [[string.find("abc", "b", 10)]], [[string.find("abc", "b", -10)]], [[string.find("abc", "c", -1)]],
 [[string.find("a.b", ".", 1, true)]], [[string.find("hello world", "o w")]], [[string.find("hello", "l+")]],
 [[string.find("hello", "(l)(l)")]], [[string.find("hello", "()ll()")]], [[string.match("key=val", "(%w+)=(%w+)")]],
 [[string.match("  x  ", "^%s*(.-)%s*$")]], [[string.match("abc", "^b")]], [[string.match("THE (quick) fox", "%((%a+)%)")]],
 [[string.match("f(a(b)c)d", "%b()")]], [[string.match("THE (quick) fox", "%f[%a]%a+", 5)]], [[string.match("hello", "(h)(e)%2?")]],
 [[string.match("aaa", "a-b")]], [[string.match("aaab", "a-b")]], 'string.match("x", "[%]]")', 'string.match("]", "[]]")',
 [[string.match("a-z", "[a%-z]+")]], [[string.match("2024-01-02", "(%d+)-(%d+)-(%d+)")]], [[string.match("abc", "[^a]+")]],
 [[string.gsub("hello world", "o", "0")]], [[string.gsub("hello world", "(o)", "%1%1")]], [[string.gsub("abc", "%w", "%0%0")]],
 [[string.gsub("abc", "", "-")]], [[string.gsub("hello", "l", {l = "L"})]], [[string.gsub("hello", "(h)(e)", function(a, b) return b .. a end)]],
 [[string.gsub("abc", "b", false)]], [[string.gsub("abc", "^a", "x")]], [[string.gsub("aaa", "a", "b", 2)]], [[string.gsub("abc", "b", "%")]],
 [[string.gsub("abc", "b", "%x")]], [[string.gsub("abc", "b", 12)]], [[string.gsub("a b c", "%s", "")]],
 [[string.rep("ab", 3, ",")]], [[string.rep("ab", 0)]], [[string.rep("ab", -1, ",")]], [[string.rep("", 5)]], [[string.rep("x", 2.7)]],
 [[table.concat({1, 2, "a"}, ",")]], [[table.concat({1, 2, 3}, ",", 2)]], [[table.concat({1, 2, 3}, ",", 3, 2)]], [[table.concat({}, ",")]],
 [[table.concat({1.5, 1e15, 2^53}, " ")]],
 [[pcall(table.concat, {1, {}, 3})]], [[pcall(string.find, "a", "%")]], [[pcall(string.find, "a", "[a")]], [[pcall(string.find, "a", "(a")]],
 [[pcall(string.find, "a", "a)")]], [[pcall(string.find, "a", "%1")]], [[pcall(string.find, "a", "%f")]], [[pcall(string.gsub, "a", "a", "%2")]],
 [[pcall(string.gsub, "a", "a")]], [[pcall(string.gsub, "a", "a", {a = {}})]], [[pcall(string.find, "a", "%b")]], [[pcall(string.rep)]],
 [[pcall(string.match, string.rep("a", 300), string.rep("a?", 300) .. string.rep("a", 300))]],
 [[string.find("abc", "b", nil)]], [[string.find(123, 2)]], [[string.match("a.b", "%.")]], [[string.match("\0a", "%z")]],
 [[("x"):rep(3)]], [[string.match("hello", ".-(l+)(.*)")]], [[string.find("abc", "[a-", 1)]],
}
for _, c in ipairs(cases) do
  local f = loadstring("return " .. c)
  local r = {pcall(f)}
  local out = {}
  for i = 1, table.maxn(r) do out[#out + 1] = tostring(r[i]) end
  ngx.say(c, " => ", table.concat(out, " | "))
end
