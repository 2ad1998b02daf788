-- The Neovim half of tests/editors/test_neovim.py, run with `nvim --headless -u <documented
-- config> -c "luafile nvim_driver.lua"` from the workspace folder. It uses only what a user
-- has: the documented config, :edit, vim.diagnostic, vim.lsp.codelens.get/run and the
-- progress messages. Writes its observations as JSON to $KERNELENV_NVIM_RESULT, then quits.
local out = { steps = {} }
local function step(msg) table.insert(out.steps, msg) end

local function lens_titles(buf)
  local titles = {}
  for _, lens in ipairs(vim.lsp.codelens.get(buf)) do
    if lens.command then
      table.insert(titles, lens.command.title)
    end
  end
  return titles
end

local function wait_lens(buf, pattern, timeout_ms)
  local found
  local ok = vim.wait(timeout_ms, function()
    for _, t in ipairs(lens_titles(buf)) do
      if t:find(pattern) then
        found = t
        return true
      end
    end
    return false
  end, 200)
  if not ok then
    error(('no code lens matching %q within %d ms (have: %s)'):format(pattern, timeout_ms,
      table.concat(lens_titles(buf), ' | ')))
  end
  return found
end

local function main()
  local broken, project = vim.env.KERNELENV_NVIM_BROKEN, vim.env.KERNELENV_NVIM_PROJECT

  -- Diagnostics with ranges for a malformed environment.yml.
  vim.cmd('edit ' .. vim.fn.fnameescape(broken))
  local bbuf = vim.api.nvim_get_current_buf()
  if not vim.wait(60000, function() return #vim.diagnostic.get(bbuf) >= 2 end, 100) then
    error('no diagnostics for ' .. broken .. ' within 60 s')
  end
  out.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bbuf)) do
    table.insert(out.diagnostics, { lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
      message = d.message, source = d.source, code = d.code })
  end
  step('diagnostics')

  -- Lenses on requirements.txt: status + Create; run Create through vim.lsp.codelens.run().
  vim.cmd('edit ' .. vim.fn.fnameescape(project .. '/requirements.txt'))
  local buf = vim.api.nvim_get_current_buf()
  out.missing_lens = wait_lens(buf, '^env missing', 60000)
  out.lenses_before = lens_titles(buf)
  step('lenses: ' .. table.concat(out.lenses_before, ' | '))

  -- Several lenses share line 1, so codelens.run() asks with vim.ui.select: answer "Create".
  vim.ui.select = function(items, opts, on_choice)
    for i, item in ipairs(items) do
      local title = opts.format_item and opts.format_item(item) or tostring(item)
      if title:find('Create') then
        out.picked = title
        return on_choice(item, i)
      end
    end
    on_choice(nil, nil)
  end
  out.progress = {}
  vim.api.nvim_create_autocmd('User', {
    pattern = 'LspProgressUpdate',
    callback = function()
      for _, m in ipairs(vim.lsp.util.get_progress_messages()) do
        table.insert(out.progress, { title = m.title, message = m.message, percentage = m.percentage, done = m.done })
      end
    end,
  })
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  vim.lsp.codelens.run()
  step('codelens.run')
  -- The next lens Neovim fetches: "env building" while the job runs, or already "env ready"
  -- when the build (a one-package venv whose bytecode is taken over) finished before that.
  out.building_lens = wait_lens(buf, '^env [br]', 60000)
  step('after run: ' .. out.building_lens)
  out.ready_lens = wait_lens(buf, '^env ready', tonumber(vim.env.KERNELENV_NVIM_CREATE_TIMEOUT_MS or '600000'))
  out.lenses_after = lens_titles(buf)
  step('ready: ' .. table.concat(out.lenses_after, ' | '))
  local p = _G.kernelenv and _G.kernelenv.projects[vim.fn.resolve(project)] or nil
  out.notified_status = p and p.status.status or nil
end

local ok, err = pcall(main)
out.ok = ok
if not ok then
  out.error = tostring(err)
end
local f = assert(io.open(vim.env.KERNELENV_NVIM_RESULT, 'w'))
f:write(vim.fn.json_encode(out))
f:close()
vim.cmd('qa!')
